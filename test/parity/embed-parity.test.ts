// The TS pipeline (tokenize -> wrap -> right-padded batch -> transformers.js -> pooling) against an
// independent Python implementation (model/reference_vectors.py): same ids, cosine >= 0.9999, for
// the random-weight tiny-gpt2 and the trained, int8 sgpt-nano (id -> row map, Cast * scale weights).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Embedder } from '../../src/embed/embedder';
import { documentSessions } from '../../src/embed/node-sessions';
import type { Mode, Role } from '../../src/embed/sgpt-settings';
import { cosine } from '../support';

interface Reference {
  model: string;
  model_sha256: string;
  dims: number;
  settings: Record<Mode, { mode: Mode; pad_token_id: number; query_brackets: number[]; document_brackets: number[]; max_length: { query: number; document: number } }>;
  texts: string[];
  cases: Array<{ mode: Mode; role: Role; text_index: number; ids: number[]; vector: number[] }>;
}

const REFERENCE_FILES = ['test/parity/reference-vectors.json', 'test/parity/reference-vectors-sgpt-nano.json'];

describe.each(REFERENCE_FILES)('%s', (file) => {
  const reference: Reference = JSON.parse(readFileSync(file, 'utf8'));
  const modelDir = path.resolve(reference.model);

  it('the reference was computed from the model file in the repo', () => {
    const sha = createHash('sha256').update(readFileSync(path.join(modelDir, 'onnx/model.onnx'))).digest('hex');
    expect(sha, 'regenerate with `npm run model:reference` after rebuilding the model').toBe(reference.model_sha256);
  });

  it("the Node fast path (a session per core, small token-budget batches) gives the same vectors", async () => {
    const fast = await Embedder.load(modelDir, { ...documentSessions(), sessions: 2, settings: { mode: 'asymmetric' } });
    try {
      for (const role of ['query', 'document'] as const) {
        const out = await fast.embed(reference.texts, role, { batchSize: 2, batchTokens: 24 });
        const cases = reference.cases.filter((c) => c.mode === 'asymmetric' && c.role === role);
        const cosines = cases.map((c) => cosine(out.vectors.subarray(c.text_index * out.dims, (c.text_index + 1) * out.dims), c.vector));
        expect(cosines).toHaveLength(reference.texts.length);
        expect(Math.min(...cosines)).toBeGreaterThanOrEqual(0.9999);
      }
    } finally {
      await fast.dispose();
    }
  });

  describe.each(['asymmetric', 'symmetric'] as const)('%s mode', (mode) => {
    let embedder: Embedder;
    beforeAll(async () => {
      embedder = await Embedder.load(modelDir, { settings: { mode } });
    });
    afterAll(() => embedder.dispose());

    it('reads the same SGPT settings', () => {
      const expected = reference.settings[mode];
      expect(embedder.settings).toEqual({
        mode: expected.mode,
        padTokenId: expected.pad_token_id,
        queryBrackets: expected.query_brackets,
        documentBrackets: expected.document_brackets,
        maxLength: expected.max_length,
      });
    });

    describe.each(['query', 'document'] as const)('%s role', (role) => {
      const cases = reference.cases.filter((c) => c.mode === mode && c.role === role).sort((a, b) => a.text_index - b.text_index);

      it('covers every text', () => {
        expect(cases.map((c) => c.text_index)).toEqual(reference.texts.map((_, i) => i));
      });

      it('feeds the model the same token ids', () => {
        for (const c of cases) expect(embedder.sequences(reference.texts[c.text_index]!, role)).toEqual([c.ids]);
      });

      it('gives the same vectors (cosine >= 0.9999), all texts in one padded batch', async () => {
        const out = await embedder.embed(reference.texts, role, { batchSize: reference.texts.length, batchTokens: Infinity });
        expect(out.rows).toBe(reference.texts.length);
        expect([...out.owner]).toEqual(reference.texts.map((_, i) => i));
        expect(out.dims).toBe(reference.dims);
        const cosines = cases.map((c) => cosine(out.vectors.subarray(c.text_index * out.dims, (c.text_index + 1) * out.dims), c.vector));
        expect(Math.min(...cosines)).toBeGreaterThanOrEqual(0.9999);
      });
    });
  });
});
