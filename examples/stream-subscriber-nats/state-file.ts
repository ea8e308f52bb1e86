/**
 * A file replaced atomically: the new content goes to `<path>.tmp`, is synced, and is renamed
 * over `<path>` (then the directory is synced, so the rename survives a machine crash too). A
 * reader — or the process restarted after a SIGKILL at any instant — sees the old content or
 * the new, never a mix.
 */
import { open, readFile, rename } from "node:fs/promises";
import { dirname } from "node:path";

/** One atomically replaced file. Writes are serialized: the last one started wins. */
export class StateFile {
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  /** The file's content, or undefined when it does not exist yet. */
  async read(): Promise<string | undefined> {
    try {
      return await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  /** Replaces the content with `text`; resolves once it is durable. */
  write(text: string): Promise<void> {
    const next = this.writing.then(() => this.replace(text));
    this.writing = next.catch(() => undefined);
    return next;
  }

  /** Resolves once every write started so far has ended. */
  settled(): Promise<void> {
    return this.writing;
  }

  private async replace(text: string): Promise<void> {
    const temp = `${this.path}.tmp`;
    const file = await open(temp, "w");
    try {
      await file.writeFile(text, "utf8");
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, this.path);
    const directory = await open(dirname(this.path), "r");
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }
}
