// The image files PatchLine reads, everywhere: fit and eval data sets, labelled folders, the hot folder and files
// dropped on the window. Every format here decodes in the engine (sharp, and its own BMP reader).

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp'] as const;

/** An image by its name: a known extension (any case), and not a hidden file (e.g. macOS `._name.png`). */
export function isImageFileName(name: string): boolean {
  if (name.startsWith('.')) return false;
  const dot = name.lastIndexOf('.');
  return dot > 0 && (IMAGE_EXTENSIONS as readonly string[]).includes(name.slice(dot).toLowerCase());
}
