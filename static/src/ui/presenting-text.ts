/**
 * Every sentence of following, summoning and the laser, through the translation layer
 * (i18n/locales/*.json, "presenting"), kept in one place.
 */
import { t } from "../i18n/i18n";

export const PRESENTING_TEXT = {
  following: (name: string): string => t("presenting.following", { name }),
  summoned: (name: string): string => t("presenting.summoned", { name }),
  summonButton: (): string => t("presenting.summon"),
  summonTitle: (): string => t("presenting.summonTitle"),
  followTitle: (name: string): string => t("presenting.follow", { name }),
  someone: (): string => t("presenting.someone"),
} as const;
