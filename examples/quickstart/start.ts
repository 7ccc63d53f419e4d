// `npm start`: the quickstart. Runs the echo backend (`portunus echo`) and `portunus serve` on the
// manifests in this directory as two child processes, forwards Ctrl-C/SIGTERM to both, and exits
// with serve's status. Extra arguments go to serve: `npm start -- --access-log text`.
// Two processes rather than one: the echo backend stands in for a real service that would run
// elsewhere, and serve stays exactly the command an operator runs.

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/portunus.js', import.meta.url));
const manifests = fileURLToPath(new URL('./gateway.yaml', import.meta.url));
const echoPort = process.env.QUICKSTART_ECHO_PORT ?? '3000';

function run(args: string[]): ChildProcess {
  // Own process group: Ctrl-C in a terminal signals the whole foreground group, and serve treats a
  // second SIGINT as "exit now, skip draining"; this way each child gets exactly one, from stop().
  return spawn(process.execPath, [bin, ...args], { stdio: 'inherit', detached: true });
}

const echo = run(['echo', '--port', echoPort, '--namespace', 'default', '--service', 'backend', '--pod', 'backend-local']);
const serve = run(['serve', '-f', manifests, ...process.argv.slice(2)]);
let stopping = false;

function stop(signal: NodeJS.Signals): void {
  stopping = true;
  for (const child of [serve, echo]) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}

process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGHUP', () => stop('SIGTERM'));
// If this launcher dies without a signal handler running (an exception), do not leave the children behind.
process.on('exit', () => {
  for (const child of [serve, echo]) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
});

echo.on('exit', (code, signal) => {
  if (stopping) return;
  process.stderr.write(`quickstart: the echo backend exited (${signal ?? `status ${code}`}); stopping serve\n`);
  process.exitCode = 1;
  stop('SIGTERM');
});

serve.on('exit', (code, signal) => {
  if (!stopping) stop('SIGTERM');
  process.exitCode = process.exitCode || (code ?? (signal ? 1 : 0));
});
