/** The chaos tool could not run (bad options, a system it cannot find, a fault it could not inject or undo). */
export class ChaosError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ChaosError';
  }
}
