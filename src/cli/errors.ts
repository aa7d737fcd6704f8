/** A usage or input error of the CLI: what, why, fix. */
export class CliError extends Error {
  constructor(
    readonly what: string,
    readonly why: string,
    readonly fix: string,
  ) {
    super(`${what}: ${why}\nFix: ${fix}`);
    this.name = "CliError";
  }
}
