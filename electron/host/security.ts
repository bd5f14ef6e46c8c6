// One Content-Security-Policy for the renderer on both hosts (the Electron app:// protocol and the headless HTTP host):
// only the app's own scripts and styles, no inline code, no remote content. `blob:` images are record thumbnails,
// `mediastream:` the camera.
const directives: Record<string, string> = {
  'default-src': "'none'",
  'script-src': "'self'",
  'style-src': "'self'",
  'img-src': "'self' blob: data:",
  'media-src': "'self' blob: mediastream:",
  'connect-src': "'self'",
  'font-src': "'self'",
  'worker-src': "'self'",
  'manifest-src': "'self'",
  'base-uri': "'none'",
  'form-action': "'none'",
  'object-src': "'none'",
};

/** As an HTTP header (frame-ancestors works only there). */
export const CONTENT_SECURITY_POLICY = Object.entries({ ...directives, 'frame-ancestors': "'none'" })
  .map(([k, v]) => `${k} ${v}`)
  .join('; ');

/** As a <meta> tag in index.html (defence in depth, and the policy a file:// load would get). */
export const CONTENT_SECURITY_POLICY_META = Object.entries(directives)
  .map(([k, v]) => `${k} ${v}`)
  .join('; ');

export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(self), microphone=(), geolocation=(), usb=(), serial=()',
};
