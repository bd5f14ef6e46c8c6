export function isMainModule(importMetaUrl: string, argv1?: string, platform?: NodeJS.Platform): boolean;
