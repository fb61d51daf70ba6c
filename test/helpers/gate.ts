import type { MetadataTestHooks } from '../../services/metadata/context';

const OPEN = Promise.resolve();

/**
 * Lets a test stall a whole metadata node as a stopped process would stall (a long GC pause,
 * SIGSTOP): every step of its sequencers waits at the gate while it is closed.
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

/** The test hooks of one metadata node, and the controls they give the test. */
export function faultHooks() {
  const gate = new Gate();
  let crash = () => {};
  const hooks: MetadataTestHooks = {
    step: () => gate.pass(),
    attach: (controls) => {
      crash = controls.crash;
    },
  };
  return {
    hooks,
    /** Stall simulation: the node stops making progress, as a paused process does. */
    pause: () => gate.pause(),
    resume: () => gate.resume(),
    /** Crash simulation: stops at once; leases stay held until they expire. */
    stopAbruptly: () => {
      crash();
      gate.resume();
    },
  };
}
