/**
 * The kernel's license_is_gpl_compatible() (include/linux/license.h): an exact
 * match against this list. The verifier refuses GPL-only helpers otherwise; the loader and the
 * simulated kernel record the verdict with the program.
 */
export const GPL_COMPATIBLE_LICENSES: readonly string[] = [
  'GPL',
  'GPL v2',
  'GPL and additional rights',
  'Dual BSD/GPL',
  'Dual MIT/GPL',
  'Dual MPL/GPL',
];

export function isGplCompatible(license: string): boolean {
  return GPL_COMPATIBLE_LICENSES.includes(license);
}
