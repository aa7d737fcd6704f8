/**
 * A faithful copy, for tests, of the one step of Xen 4.17's `xl migrate` that turns the host
 * argument into shell syntax: tools/xl/xl_migrate.c, `main_migrate` (option parsing and the
 * `xasprintf(&rune, "exec %s %s xl%s%s%.*s migrate-receive%s%s%s", ssh_command, host, …)`
 * line) and `create_migration_child` (`execlp("sh", "sh", "-c", rune, NULL)` with the
 * migration stream on the child's stdin/stdout). HOST is pasted into the line unquoted, so
 * whatever reaches it is parsed by the source dom0's `sh` (LAB-NOTES.md, "xl migrate builds a
 * shell line from the host you give it").
 *
 * Written from reading the C source; no Xen code is copied. Only what decides the shell line
 * is reproduced: the migration stream, the banner exchange and libxl are not.
 *
 * Free of vitest so that bench/ could use it too.
 */
import { spawnSync } from "node:child_process";

/** What `xl migrate [options] DOMAIN HOST` was asked to do, as main_migrate reads its argv. */
export interface XlMigrateRequest {
  /** `-s`: the SSH command, pasted before HOST. Default "ssh". */
  readonly sshCommand: string;
  readonly domain: string;
  readonly host: string;
  /** `-C`. */
  readonly configFile: string | null;
  /** `-e` or `-F` clear daemonize. */
  readonly daemonize: boolean;
  /** `--debug`. */
  readonly debug: boolean;
  /** `-p`. */
  readonly pauseAfterMigration: boolean;
}

/**
 * main_migrate's option parsing: getopt_long with "FC:s:epD" (plus xl's common `-h`) and the
 * long options `--debug`, `--live`, then DOMAIN = argv[optind], HOST = argv[optind + 1].
 * `argv` starts after `xl` (its first element is `migrate`).
 * @throws Error for what xl would reject with a usage message
 */
export function parseXlMigrateArgv(argv: readonly string[]): XlMigrateRequest {
  if (argv[0] !== "migrate") throw new Error(`not an xl migrate call: ${JSON.stringify(argv)}`);
  let sshCommand = "ssh";
  let configFile: string | null = null;
  let daemonize = true;
  let debug = false;
  let pause = false;
  const args = argv.slice(1);
  const operands: string[] = [];
  // glibc getopt permutes: options may follow operands, `--` ends options.
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (a === "--debug") {
      debug = true;
      continue;
    }
    if (a === "--live") continue;
    if (a.startsWith("--")) throw new Error(`xl migrate: unrecognized option ${a}`);
    if (a.startsWith("-") && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        if (c === "C" || c === "s") {
          const value = j + 1 < a.length ? a.slice(j + 1) : args[++i];
          if (value === undefined) throw new Error(`xl migrate: option -${c} requires an argument`);
          if (c === "C") configFile = value;
          else sshCommand = value;
          break;
        }
        if (c === "F" || c === "e") daemonize = false;
        else if (c === "p") pause = true;
        else if (c === "D") continue;
        else throw new Error(`xl migrate: invalid option -${c}`);
      }
      continue;
    }
    operands.push(a);
  }
  // SWITCH_FOREACH_OPT(…, "migrate", 2): at least two operands.
  if (operands.length < 2) throw new Error("xl migrate: needs DOMAIN and HOST");
  return { sshCommand, domain: operands[0]!, host: operands[1]!, configFile, daemonize, debug, pauseAfterMigration: pause };
}

/**
 * The rune main_migrate builds: `exec SSH HOST xl migrate-receive` plus the flags, with stderr
 * not a tty (as under the migration job, whose output goes to a log file: no `-t`), no `-T`
 * and the default verbosity (no `-v`). An empty `-s` makes HOST itself the rune, as in xl.
 * C strings end at the first NUL, so each part is cut there, as xasprintf would see it.
 */
export function xlMigrateRune(req: XlMigrateRequest): string {
  const c = (s: string): string => {
    const nul = s.indexOf("\u0000");
    return nul === -1 ? s : s.slice(0, nul);
  };
  if (c(req.sshCommand) === "") return c(req.host);
  return `exec ${c(req.sshCommand)} ${c(req.host)} xl migrate-receive${req.daemonize ? "" : " -e"}${req.debug ? " -d" : ""}${req.pauseAfterMigration ? " -p" : ""}`;
}

/** What running a rune did. */
export interface RuneRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * create_migration_child's exec: `sh -c RUNE` (found on PATH, as execlp does) with the
 * migration stream on stdin (here: empty) and stdout (here: collected).
 */
export function runRune(rune: string, options: { readonly cwd: string; readonly env: NodeJS.ProcessEnv; readonly timeoutMs?: number }): RuneRun {
  const r = spawnSync("sh", ["-c", rune], {
    cwd: options.cwd,
    env: options.env,
    input: "",
    encoding: "utf8",
    timeout: options.timeoutMs ?? 10_000,
  });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}
