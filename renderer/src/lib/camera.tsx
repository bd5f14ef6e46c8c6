// The live camera lives at app level, so inspection keeps running while the operator looks at another screen.
// One capture <video> (kept in the page, off screen), frames JPEG-encoded in a worker, and the continuous/trigger loop
// behind a FrameGate: frames beyond what the engine keeps up with are dropped, never queued.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useApp } from './app-context';
import { FrameGate, frameIntervalMs } from '../state/frame-gate';
import { FrameGrabber } from './frame-grabber';
import { msg, type Msg } from '../i18n/message';

export interface CameraState {
  devices: MediaDeviceInfo[];
  deviceId: string;
  running: boolean;
  error: Msg | null;
  stream: MediaStream | null;
}

/**
 * Camera frames are scored at most this size (long side). The engine resizes every part to 256 px (then crops 224),
 * so a 4:3 frame's short side (360) still carries more than it uses; in headless Chromium's software path, scaling
 * and JPEG-encoding cost about the pixel count, so a 640 px frame would cost the window ~1.8× as much for nothing.
 */
export const CAPTURE_MAX = 480;
/**
 * Frames out at once: three keep the engine busy while the next frames are encoded and cross the channel (the host
 * admits four, so none is refused there; frames beyond three are dropped here, before they cost anything).
 */
export const FRAMES_IN_FLIGHT = 3;

interface CameraApi {
  state: CameraState;
  start(deviceId?: string): Promise<void>;
  stop(): void;
  selectDevice(deviceId: string): void;
  scoreOne(): Promise<void>;
}

const CameraContext = createContext<CameraApi | null>(null);

export function useCameraApi(): CameraApi {
  const c = useContext(CameraContext);
  if (!c) throw new Error('CameraProvider is missing');
  return c;
}

export function CameraProvider({ children }: { children: ReactNode }) {
  const video = useRef<HTMLVideoElement>(null);
  const grabber = useRef<FrameGrabber | null>(null);
  const sourceName = useRef('camera');
  const gate = useRef(new FrameGate(FRAMES_IN_FLIGHT));
  const [state, setState] = useState<CameraState>({ devices: [], deviceId: '', running: false, error: null, stream: null });
  const mode = useApp((s) => s.mode);
  const rate = useApp((s) => s.rate);
  const inspectCameraFrame = useApp((s) => s.inspectCameraFrame);
  const frameDropped = useApp((s) => s.frameDropped);

  const listDevices = useCallback(async () => {
    if (!navigator.mediaDevices?.enumerateDevices) return;
    const devices = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput');
    setState((s) => ({ ...s, devices, deviceId: s.deviceId || devices[0]?.deviceId || '' }));
  }, []);

  const stop = useCallback(() => {
    setState((s) => {
      s.stream?.getTracks().forEach((t) => t.stop());
      return { ...s, running: false, stream: null };
    });
    if (video.current) video.current.srcObject = null;
  }, []);

  const start = useCallback(
    async (deviceId?: string) => {
      stop();
      if (!navigator.mediaDevices?.getUserMedia) {
        setState((s) => ({ ...s, error: msg('inspect.cameraNoAccess') }));
        return;
      }
      try {
        const id = deviceId ?? state.deviceId;
        const stream = await navigator.mediaDevices.getUserMedia({ audio: false, video: id ? { deviceId: { exact: id } } : true });
        if (video.current) {
          video.current.srcObject = stream;
          await video.current.play();
        }
        const actual = stream.getVideoTracks()[0]?.getSettings().deviceId ?? id;
        setState((s) => ({ ...s, running: true, error: null, stream, deviceId: actual || s.deviceId }));
        await listDevices(); // labels appear once permission is granted
      } catch (e) {
        setState((s) => ({ ...s, running: false, stream: null, error: msg('inspect.cameraError', { message: (e as Error).message || String(e) }) }));
      }
    },
    [listDevices, state.deviceId, stop],
  );

  const selectDevice = useCallback(
    (deviceId: string) => {
      setState((s) => ({ ...s, deviceId }));
      if (state.running) void start(deviceId);
    },
    [start, state.running],
  );

  const capture = useCallback(() => {
    grabber.current ??= new FrameGrabber(CAPTURE_MAX);
    return video.current ? grabber.current.grab(video.current) : Promise.resolve(null);
  }, []);

  useEffect(() => {
    grabber.current ??= new FrameGrabber(CAPTURE_MAX);
    grabber.current.attach(state.stream);
  }, [state.stream]);

  useEffect(
    () => () => {
      grabber.current?.dispose();
      grabber.current = null;
    },
    [],
  );

  const scoreOne = useCallback(async () => {
    if (!gate.current.tryAcquire()) {
      frameDropped();
      return;
    }
    try {
      const f = await capture().catch((e: Error) => {
        setState((s) => ({ ...s, error: msg('errors.other', { message: e.message }) }));
        return null;
      });
      if (!f) return;
      await inspectCameraFrame(f.jpeg, { kind: 'bitmap', bitmap: f.bitmap }, sourceName.current);
    } finally {
      gate.current.release();
    }
  }, [capture, inspectCameraFrame, frameDropped]);

  useEffect(() => {
    if (!state.running || mode !== 'continuous') return;
    const t = setInterval(() => void scoreOne(), frameIntervalMs(rate));
    return () => clearInterval(t);
  }, [state.running, mode, rate, scoreOne]);

  useEffect(() => {
    void listDevices();
  }, [listDevices]);

  useEffect(() => {
    const label = state.devices.find((d) => d.deviceId === state.deviceId)?.label;
    sourceName.current = label ? `camera: ${label}` : 'camera';
  }, [state.devices, state.deviceId]);

  const api = useMemo<CameraApi>(() => ({ state, start, stop, selectDevice, scoreOne }), [state, start, stop, selectDevice, scoreOne]);

  return (
    <CameraContext.Provider value={api}>
      <video ref={video} className="capture-video" muted playsInline aria-hidden="true" />
      {children}
    </CameraContext.Provider>
  );
}

/** A preview of the running stream (a second element on the same MediaStream). */
export function CameraPreview({ stream }: { stream: MediaStream | null }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const v = ref.current;
    if (!v) return;
    v.srcObject = stream;
    if (stream) void v.play().catch(() => undefined);
  }, [stream]);
  return <video ref={ref} className="camera-preview" muted playsInline data-testid="camera-preview" />;
}
