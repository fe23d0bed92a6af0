import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * Where function output goes: one file (JSON lines as the functions write them, prefixed with the
 * function name) and, optionally, the console.
 */
export class LogSink {
  private readonly file: WriteStream | undefined;
  /**
   * Bytes each attached process wrote (stdout and stderr, a newline per line), by source: what
   * CloudWatch Logs would ingest from a function, without Lambda's own START/END/REPORT lines.
   */
  readonly bytesBySource = new Map<string, number>();
  /** Called with every line an attached process writes (the function output, as it is). */
  private readonly listeners: ((source: string, line: string) => void)[] = [];

  constructor(
    readonly path: string | undefined,
    private readonly echo: boolean,
  ) {
    if (path) {
      mkdirSync(dirname(path), { recursive: true });
      this.file = createWriteStream(path, { flags: 'a' });
    }
  }

  write(source: string, line: string): void {
    const text = `${new Date().toISOString()} [${source}] ${line}\n`;
    this.file?.write(text);
    if (this.echo) process.stdout.write(text);
  }

  attach(source: string, child: ChildProcess): void {
    for (const stream of [child.stdout, child.stderr]) {
      if (stream)
        createInterface({ input: stream }).on('line', (line) => {
          this.bytesBySource.set(source, (this.bytesBySource.get(source) ?? 0) + Buffer.byteLength(line) + 1);
          this.write(source, line);
          for (const listener of this.listeners) listener(source, line);
        });
    }
  }

  /** Calls `listener` with each line the attached processes write from now on (e.g. to read their metrics). */
  onLine(listener: (source: string, line: string) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    const file = this.file;
    if (file) await new Promise<void>((resolve) => file.end(resolve));
  }
}
