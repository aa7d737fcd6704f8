import type { Command } from "commander";

/** Every subcommand, registered on `program`; `setExit` records the process exit code. */
export function registerCommands(program: Command, setExit: (code: number) => void): void {
  void program;
  void setExit;
}
