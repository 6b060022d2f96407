/**
 * Every sentence of following, summoning and the laser in one place, so that a translation
 * (issue 18's i18n) replaces this file's values and nothing else.
 */
export const PRESENTING_TEXT = {
  following: (name: string): string => `Following ${name} - Esc to stop`,
  summoned: (name: string): string => `${name} brought everyone to their view`,
  summonButton: "Bring everyone here",
  summonTitle: "Move everyone else's view to yours",
  followTitle: (name: string): string => `Follow ${name}'s view`,
  laser: "Laser pointer",
  someone: "Someone",
} as const;
