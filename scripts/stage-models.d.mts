export const DEFAULT_CARDS: string[];
export const DEFAULT_OUT: string;
export interface StagedModel {
  id: string;
  file: string;
  from: string;
  source: 'env' | 'shared' | 'download' | 'staged';
}
export function stageModels(o?: {
  cards?: string[];
  out?: string;
  cardsDir?: string;
  env?: NodeJS.ProcessEnv;
  sharedDir?: string;
  fetch?: typeof fetch;
  log?: (m: string) => void;
}): Promise<StagedModel[]>;
