export const DEFAULT_OUT: string;
export const RENDERER_PACKAGES: string[];
export interface ShippedPackage {
  name: string;
  version: string;
  license: string;
  text: string | null;
}
export function shippedPackages(roots: string[], base?: string): ShippedPackage[];
export function buildNotices(base?: string): { packages: ShippedPackage[]; text: string };
