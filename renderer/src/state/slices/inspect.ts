// The live screen's state: the current part (result + the image it was scored on), counters, the hot folder.
import type { HotFolderEvent, HotFolderStatus, InspectionResult } from '../../../../shared/domain';
import { errorCode } from '../errors';
import { errorMsg, msg, type Msg } from '../../i18n/message';
import type { SliceCreator } from '../types';

export type LiveSource = 'camera' | 'hotfolder' | 'drop';
export type CaptureMode = 'trigger' | 'continuous';

/** What the part view draws under the heatmap: a camera frame, a dropped file, or a record fetched from main. */
export type PartImage = { kind: 'bitmap'; bitmap: ImageBitmap } | { kind: 'blob'; blob: Blob };

export interface LivePart {
  result: InspectionResult;
  image: PartImage | null;
}

export interface FeedEntry {
  key: string;
  at: number;
  name: string;
  kind: 'result' | 'error';
  verdict?: 'OK' | 'NG';
  score?: number;
  message?: Msg;
}

export interface InspectSlice {
  source: LiveSource;
  mode: CaptureMode;
  rate: number;
  opacity: number;
  current: LivePart | null;
  /** The latest result from any source (the hot folder's too, whichever source is on screen): the NG alert follows it. */
  lastResult: InspectionResult | null;
  scored: number;
  dropped: number;
  recentAt: number[];
  feed: FeedEntry[];
  hotFolder: HotFolderStatus;
  setSource(s: LiveSource): void;
  setMode(m: CaptureMode): void;
  setRate(fps: number): void;
  setOpacity(o: number): void;
  frameDropped(): void;
  /** A camera frame already encoded (JPEG from the frame worker). */
  inspectCameraFrame(jpeg: Uint8Array, display: PartImage | null, sourceName?: string): Promise<void>;
  inspectFiles(files: File[]): Promise<void>;
  startHotFolder(dir: string): Promise<void>;
  stopHotFolder(): Promise<void>;
  refreshHotFolder(): Promise<void>;
  onHotFolderEvent(e: HotFolderEvent): void;
}

const FEED_MAX = 50;
const RECENT_MAX = 120;

export const createInspectSlice: SliceCreator<InspectSlice> = ({ client }) => (set, get) => {
  const scoredPart = (result: InspectionResult, image: PartImage | null) => {
    const prev = get().current?.image;
    if (prev?.kind === 'bitmap' && prev !== image) prev.bitmap.close();
    set((s) => ({
      current: { result, image },
      lastResult: result,
      scored: s.scored + 1,
      recentAt: [...s.recentAt.slice(-(RECENT_MAX - 1)), result.at],
    }));
  };
  const feed = (e: FeedEntry) => set((s) => ({ feed: [e, ...s.feed].slice(0, FEED_MAX) }));
  const resultEntry = (r: InspectionResult): FeedEntry => ({
    key: `r${r.recordId}`,
    at: r.at,
    name: r.sourceName,
    kind: 'result',
    verdict: r.verdict,
    score: r.normalizedScore,
  });

  return {
    source: 'camera',
    mode: 'continuous',
    rate: 15,
    opacity: 0.5,
    current: null,
    lastResult: null,
    scored: 0,
    dropped: 0,
    recentAt: [],
    feed: [],
    hotFolder: { running: false, dir: null, processed: 0, errors: 0, lastError: null },

    setSource: (source) => set({ source }),
    setMode: (mode) => set({ mode }),
    setRate: (fps) => set({ rate: Math.min(30, Math.max(1, Math.round(fps))) }),
    setOpacity: (o) => set({ opacity: Math.min(1, Math.max(0, o)) }),
    frameDropped: () => set((s) => ({ dropped: s.dropped + 1 })),

    async inspectCameraFrame(jpeg, display, sourceName = 'camera') {
      try {
        const result = await client.call('inspect.file', { name: sourceName, bytes: jpeg, source: 'camera' });
        scoredPart(result, display);
      } catch (e) {
        if (display?.kind === 'bitmap') display.bitmap.close();
        if (errorCode(e) === 'BUSY') get().frameDropped();
        else get().notify('error', errorMsg(e));
      }
    },

    async inspectFiles(files) {
      for (const file of files) {
        try {
          const bytes = new Uint8Array(await file.arrayBuffer());
          const result = await client.call('inspect.file', { name: file.name, bytes, source: 'file' });
          scoredPart(result, { kind: 'blob', blob: file });
          feed(resultEntry(result));
        } catch (e) {
          feed({ key: `e${Date.now()}-${file.name}`, at: Date.now(), name: file.name, kind: 'error', message: errorMsg(e) });
        }
      }
    },

    async startHotFolder(dir) {
      try {
        set({ hotFolder: await client.call('hotfolder.start', { dir }) });
      } catch (e) {
        get().notify('error', errorMsg(e));
      }
    },

    async stopHotFolder() {
      set({ hotFolder: await client.call('hotfolder.stop', {}) });
    },

    async refreshHotFolder() {
      set({ hotFolder: await client.call('hotfolder.status', {}) });
    },

    onHotFolderEvent(e) {
      if (e.kind === 'status') {
        set({ hotFolder: e.status });
        return;
      }
      if (e.kind === 'error') {
        feed({ key: `e${e.at}-${e.file}`, at: e.at, name: e.file, kind: 'error', message: msg('errors.other', { message: e.message }) });
        set((s) => ({ hotFolder: { ...s.hotFolder, errors: s.hotFolder.errors + 1, lastError: `${e.file}: ${e.message}` } }));
        return;
      }
      const r = e.result;
      feed(resultEntry(r));
      set((s) => ({ lastResult: r, hotFolder: { ...s.hotFolder, processed: s.hotFolder.processed + 1 } }));
      if (get().source !== 'hotfolder') return;
      scoredPart(r, null);
      // The image lives in main's records: fetch it for the view unless a newer part has arrived meanwhile.
      client
        .call('records.image', { id: r.recordId, kind: 'image' })
        .then(({ mime, bytes }) => {
          const cur = get().current;
          if (cur?.result.recordId === r.recordId) set({ current: { ...cur, image: { kind: 'blob', blob: new Blob([new Uint8Array(bytes)], { type: mime }) } } });
        })
        .catch(() => undefined);
    },
  };
};
