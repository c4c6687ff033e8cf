// Types of sweep-share.cjs, for the TypeScript that calls it.
export type ShareState = "open" | "closed" | "silent";

/** What a port answered; a worker sends each as its index here. */
export const SHARE_STATES: readonly ShareState[];

export interface ShareLimits {
  host: string;
  ports: number[];
  concurrency: number;
  perSecond: number;
  timeoutMs: number;
}

/** `rttMs` is undefined when the port stayed silent. */
export type ShareListener = (port: number, state: ShareState, rttMs: number | undefined) => void;

export function sweepShare(limits: ShareLimits, onResult: ShareListener, stopped?: () => boolean): Promise<void>;
