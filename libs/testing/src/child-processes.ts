import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { projectRoot } from '@linkage/common';

/** Resolves once the child has exited (at once when it already has). */
export function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()));
}

/**
 * The real `linkage` processes one suite starts (`linkage serve ...` to be killed and replaced):
 * their stderr is kept together (to scan for identifiers), and `stopAll` ends whichever still
 * run so that none outlives the suite.
 */
export function linkageProcesses(): {
  stderr: string[];
  start(args: string[], env: NodeJS.ProcessEnv): ChildProcess;
  stopAll(): Promise<void>;
} {
  const stderr: string[] = [];
  const children: ChildProcess[] = [];
  return {
    stderr,
    start(args, env) {
      const child = spawn(
        process.execPath,
        [path.join(projectRoot(), 'bin', 'linkage.js'), ...args],
        {
          env,
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
      children.push(child);
      return child;
    },
    async stopAll() {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
      await Promise.all(children.map(exited));
    },
  };
}
