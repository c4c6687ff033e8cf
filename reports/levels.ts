// How each label level looks, shared by the HTML report and the SVG label so they agree.

export interface LevelLook {
  /** Stable class-name part; never taken from the report, which may name any level. */
  key: string;
  fill: string;
  ink: string;
}

const LOOKS = new Map<string, LevelLook>([
  ["high", { key: "high", fill: "#237032", ink: "#ffffff" }],
  ["medium", { key: "medium", fill: "#f2b705", ink: "#1a1a1a" }],
  ["low", { key: "low", fill: "#d9480f", ink: "#ffffff" }],
  ["none", { key: "none", fill: "#c92a2a", ink: "#ffffff" }],
  // Not a grade: the run never reached the device (harness/core/contact.ts).
  ["not-tested", { key: "not-tested", fill: "#e9ecef", ink: "#1a1a1a" }],
]);

// A profile may define levels of its own (a national label's "A"-"C"); they get a neutral look.
const OTHER: LevelLook = { key: "other", fill: "#495057", ink: "#ffffff" };

/** The standard scale, best first, as the label draws it. */
export const STANDARD_LEVELS = ["high", "medium", "low", "none"] as const;

export function levelLook(level: string): LevelLook {
  return LOOKS.get(level) ?? OTHER;
}

export const ALL_LEVEL_LOOKS: readonly LevelLook[] = [...LOOKS.values(), OTHER];
