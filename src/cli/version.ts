// The version printed by --version and stamped into the krew manifest. Kept in one place.
export const VERSION = '0.1.0';
