// Raw shape of the coreset exports of the addon (filled in by the coreset work).
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface RawCoresetBinding {}
