/**
 * A tiny request/answer protocol over Node's IPC channel, so the bench can run the bot and the simulator in their
 * own processes (their memory and CPU are then measured apart, and neither shares an event loop with the driver).
 */
import { type ChildProcess, fork } from 'node:child_process';

// biome-ignore lint/suspicious/noExplicitAny: handler arguments are checked by the typed call() signature.
export type Handlers = Record<string, (args: any) => unknown>;

interface Request {
  id: number;
  cmd: string;
  args: unknown;
}

type Answer = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

/** In a worker: answers the parent's calls with `handlers`, then says it is ready. */
export function serveRpc(handlers: Handlers): void {
  if (!process.send) throw new Error('this module must run as a forked worker (no IPC channel)');
  process.on('message', (message: Request) => {
    // Exiting through process.exit lets --cpu-prof and friends write their output.
    if (message.cmd === '__exit') return void process.exit(0);
    const handler = handlers[message.cmd];
    const reply = (answer: Answer) => process.send?.(answer);
    if (!handler) return void reply({ id: message.id, ok: false, error: `unknown command ${message.cmd}` });
    Promise.resolve()
      .then(() => handler(message.args))
      .then(
        (result) => reply({ id: message.id, ok: true, result: result ?? null }),
        (error: unknown) =>
          reply({
            id: message.id,
            ok: false,
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          }),
      );
  });
  // The parent going away ends the worker too: no orphans if the bench is interrupted.
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: true });
}

export interface Worker<H extends Handlers> {
  readonly pid: number;
  call<K extends keyof H & string>(
    cmd: K,
    args: Parameters<H[K]>[0],
    timeoutMs?: number,
  ): Promise<Awaited<ReturnType<H[K]>>>;
  /** Ends the worker (SIGTERM, then SIGKILL after a grace period). */
  close(): Promise<void>;
}

/**
 * Forks `file` (compiled JavaScript, see build.ts) and waits until it is ready. The worker gets only
 * `options.execArgv`, not the parent's flags: the driver runs under tsx, whose loader must not ride along into the
 * measured processes.
 */
export async function startWorker<H extends Handlers>(
  file: string,
  name: string,
  options: { readyTimeoutMs?: number; execArgv?: string[] } = {},
): Promise<Worker<H>> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const child: ChildProcess = fork(file, [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: options.execArgv ?? [],
  });
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 1;
  let exited: string | undefined;

  const failAll = (reason: string) => {
    for (const { reject } of pending.values()) reject(new Error(`${name} worker: ${reason}`));
    pending.clear();
  };
  child.on('exit', (code, signal) => {
    exited = `exited (code ${code}, signal ${signal})`;
    failAll(exited);
  });
  child.on('message', (message: Answer | { ready: true }) => {
    if ('ready' in message) return;
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.ok) waiter.resolve(message.result);
    else waiter.reject(new Error(`${name} worker: ${message.error}`));
  });

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} worker did not start within ${readyTimeoutMs} ms`)),
      readyTimeoutMs,
    );
    child.once('message', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`${name} worker exited before it was ready`));
    });
  });

  const pid = child.pid ?? -1;
  return {
    pid,
    call(cmd, args, timeoutMs = 120_000) {
      if (exited) return Promise.reject(new Error(`${name} worker ${exited}`));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${name} worker: ${cmd} took longer than ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (value) => {
            clearTimeout(timer);
            resolve(value as never);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        child.send({ id, cmd, args } satisfies Request);
      });
    },
    async close() {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ id: 0, cmd: '__exit', args: null } satisfies Request);
      const term = setTimeout(() => child.kill('SIGTERM'), 3_000);
      const timer = setTimeout(() => child.kill('SIGKILL'), 8_000);
      await gone;
      clearTimeout(term);
      clearTimeout(timer);
    },
  };
}
