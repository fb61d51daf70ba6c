/**
 * The leader only journals operations that apply; one that does not means the journal and
 * the code disagree, which is a fault to stop on, not a request error.
 */
export class InapplicableOpError extends Error {
  constructor(detail: string) {
    super(`journal operation does not apply: ${detail}`);
    this.name = 'InapplicableOpError';
  }
}
