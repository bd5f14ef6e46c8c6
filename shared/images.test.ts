import { describe, expect, it } from 'vitest';
import { IMAGE_EXTENSIONS, isImageFileName } from './images';

describe('isImageFileName', () => {
  it('knows every listed extension in any case, and nothing else', () => {
    for (const ext of IMAGE_EXTENSIONS) {
      expect(isImageFileName(`part${ext}`)).toBe(true);
      expect(isImageFileName(`PART${ext.toUpperCase()}`)).toBe(true);
    }
    expect(isImageFileName('notes.txt')).toBe(false);
    expect(isImageFileName('png')).toBe(false);
    expect(isImageFileName('part.png.tmp')).toBe(false);
  });

  it('skips hidden files', () => {
    expect(isImageFileName('._part.png')).toBe(false);
    expect(isImageFileName('.png')).toBe(false);
  });
});
