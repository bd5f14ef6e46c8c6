// Raw shape of the Faiss index exports of the addon (filled in by the index work).
export interface RawIndexBinding {
  faissLinked(): number;
}
