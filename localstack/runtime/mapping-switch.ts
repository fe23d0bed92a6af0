import { createHash } from 'node:crypto';

/** The `State` an event source mapping reports through the Lambda API. */
export type MappingState = 'Enabled' | 'Enabling' | 'Disabled' | 'Disabling';

/**
 * A stable UUID for an event source mapping of the templates (the same stack and logical id give the
 * same UUID at every start), formatted like the UUIDs Lambda assigns.
 */
export function mappingUuid(stackName: string, logicalId: string): string {
  const hex = createHash('sha256').update(`${stackName}/${logicalId}`).digest('hex');
  const variant = ((Number.parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Whether a mapping polls, and the way there: `set(false)` reports `Disabling` until the mapping's
 * `halt` has finished (in-flight work ended, nothing polls), then `Disabled`; `set(true)` reports
 * `Enabling` until `begin` has finished. Requests that arrive during a transition are applied after
 * it, the last one winning.
 */
export class MappingSwitch {
  private desired: boolean;
  private applied: boolean;
  private settling: Promise<void> | undefined;
  lastModified = new Date();

  constructor(
    enabled: boolean,
    private readonly begin: () => Promise<void>,
    private readonly halt: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {
    this.desired = enabled;
    this.applied = enabled;
  }

  get enabled(): boolean {
    return this.desired;
  }

  get state(): MappingState {
    if (this.applied === this.desired) return this.applied ? 'Enabled' : 'Disabled';
    return this.desired ? 'Enabling' : 'Disabling';
  }

  /** Asks for the mapping to be enabled or disabled; resolves once it is. */
  set(enabled: boolean): Promise<void> {
    if (enabled !== this.desired) this.lastModified = new Date();
    this.desired = enabled;
    if (!this.settling) {
      this.settling = this.settle().finally(() => {
        this.settling = undefined;
      });
    }
    return this.settling;
  }

  private async settle(): Promise<void> {
    while (this.applied !== this.desired) {
      const target = this.desired;
      try {
        await (target ? this.begin() : this.halt());
      } catch (error) {
        this.onError(error);
      }
      this.applied = target;
    }
  }
}
