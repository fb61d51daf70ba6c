const OPEN = Promise.resolve();

/**
 * Lets a test stall a whole service as a stopped process would stall (a long GC pause,
 * SIGSTOP): every step of the sequencers waits at the gate while it is closed.
 */
export class Gate {
  private closed: Promise<void> | null = null;
  private reopen: () => void = () => {};

  get isOpen(): boolean {
    return this.closed === null;
  }

  pass(): Promise<void> {
    return this.closed ?? OPEN;
  }

  pause(): void {
    if (this.closed) return;
    this.closed = new Promise((resolve) => {
      this.reopen = resolve;
    });
  }

  resume(): void {
    const reopen = this.reopen;
    this.closed = null;
    reopen();
  }
}
