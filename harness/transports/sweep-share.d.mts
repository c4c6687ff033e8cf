// Types of sweep-share.mjs, for the TypeScript that calls it.
export type ShareResult =
  | { port: number; state: "open" | "closed"; rttMs: number }
  | { port: number; state: "silent" };

export interface ShareLimits {
  host: string;
  ports: number[];
  concurrency: number;
  perSecond: number;
  timeoutMs: number;
}

export function sweepShare(limits: ShareLimits, onResult: (r: ShareResult) => void, stopped?: () => boolean): Promise<void>;
