import { describe, expect, it } from 'vitest';
import { builtinCardIds, loadCard, parseCard, selectTaps, DEFAULT_BACKBONE } from './card';

describe('backbone cards', () => {
  it('ships the MobileNetV2-int8 default and the WideResNet-50-2 card', () => {
    expect(builtinCardIds()).toEqual(expect.arrayContaining(['mobilenetv2-int8', 'wide-resnet50-2']));
    const m = loadCard(DEFAULT_BACKBONE);
    expect(m.sha256).toBe('83530ad811bc31d2b60a5599a21265a5057608c9b044b4ee758cc22f2309f54f');
    expect(m.taps.map((t) => [t.name, t.stride, t.channels])).toEqual([
      ['365_quantized', 8, 32],
      ['426_quantized', 16, 96],
    ]);
    expect(m.taps.every((t) => t.quant)).toBe(true);
    const w = loadCard('wide-resnet50-2');
    expect(w.taps.map((t) => t.name)).toEqual(['layer2', 'layer3']);
    expect(w.taps.some((t) => t.quant)).toBe(false);
    expect(w.embedDimension).toBe(1024);
  });

  it('names the field that is wrong', () => {
    const good = loadCard();
    expect(() => parseCard({ ...good, sha256: 'xyz' }, 'bad.json')).toThrow(/bad\.json.*sha256/);
    expect(() => parseCard({ ...good, taps: [] }, 'bad.json')).toThrow(/taps/);
    expect(() => parseCard({ ...good, input: { ...good.input, std: [0, 1, 1] } }, 'bad.json')).toThrow(/input\.std/);
  });

  it('refuses unknown ids and lists the built-in ones', () => {
    expect(() => loadCard('resnet9000')).toThrow(/Unknown backbone "resnet9000".*mobilenetv2-int8/);
    expect(() => loadCard('/nowhere/card.json')).toThrow(/does not exist/);
  });

  it('selects optional taps by name, finest first', () => {
    const card = loadCard();
    expect(selectTaps(card).map((t) => t.stride)).toEqual([8, 16]);
    expect(selectTaps(card, ['426_quantized', '339_quantized', '365_quantized']).map((t) => t.stride)).toEqual([4, 8, 16]);
    expect(() => selectTaps(card, ['nope'])).toThrow(/no tap "nope".*339_quantized/);
  });
});
