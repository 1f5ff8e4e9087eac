// What the element tells its worker about onnxruntime-web's files: absolute URLs, and the plain
// build's own URLs only when the runtime (or a bundler that renamed them) set them.
import { describe, expect, it } from 'vitest';
import { ortRuntime } from '../../src/element/defaults';

describe('ortRuntime', () => {
  const page = 'https://example.org/docs/guide/page.html';
  const absolute = (url: string) => new URL(url, page).href;

  it('resolves the ORT folder against the page', () => {
    expect(ortRuntime({ model: '/models/m/', ortBase: '/ort/' }, absolute)).toEqual({ ortBase: 'https://example.org/ort/' });
  });

  it('passes renamed plain-build files on, absolute', () => {
    const runtime = ortRuntime({ model: 'm/', ortBase: '../sgpt/ort/', ortWasm: { mjs: '../assets/ort-1a.mjs', wasm: 'https://cdn.example.org/ort-2b.wasm' } }, absolute);
    expect(runtime).toEqual({
      ortBase: 'https://example.org/docs/sgpt/ort/',
      ortWasm: { mjs: 'https://example.org/docs/assets/ort-1a.mjs', wasm: 'https://cdn.example.org/ort-2b.wasm' },
    });
  });
});
