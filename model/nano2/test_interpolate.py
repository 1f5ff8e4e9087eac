"""Unit tests of interpolate.py's math (numpy only; run by test/unit/nano2-python.test.ts):
    /usr/bin/python3 -m unittest model/nano2/test_interpolate.py
"""
import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interpolate import EXACT_COLUMNS, alpha_of, mix, part_alphas, use_scale  # noqa: E402


def checkpoint(rng, rows=5, d=6):
    return {'wte': rng.normal(size=(rows, d)).astype(np.float32), 'wpe': rng.normal(size=(4, d)).astype(np.float32),
            'ln_f.weight': rng.normal(size=d).astype(np.float32), 'ln_f.bias': rng.normal(size=d).astype(np.float32),
            'h.0.ln_2.weight': rng.normal(size=d).astype(np.float32), 'h.0.g_attn': np.float32(0)}


class Mix(unittest.TestCase):
    def setUp(self):
        rng = np.random.default_rng(0)
        self.a, self.b = checkpoint(rng), checkpoint(rng)

    def test_endpoints_and_midpoint(self):
        for alpha in (0.0, 1.0, 0.3):
            out = mix(self.a, self.b, part_alphas({'table', 'stop', 'wpe', 'ln_f', 'unit'}, alpha, 5, 6))
            for k in self.a:
                np.testing.assert_allclose(out[k], (1 - alpha) * self.a[k] + alpha * self.b[k], rtol=1e-6, atol=1e-6)

    def test_parts_left_out_stay_shipped(self):
        out = mix(self.a, self.b, part_alphas({'table'}, 1.0, 5, 6))
        np.testing.assert_allclose(out['wte'][:, EXACT_COLUMNS:], self.b['wte'][:, EXACT_COLUMNS:], rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(out['wte'][:, :EXACT_COLUMNS], self.a['wte'][:, :EXACT_COLUMNS])
        for k in ('wpe', 'ln_f.weight', 'ln_f.bias', 'h.0.ln_2.weight'):
            np.testing.assert_array_equal(out[k], self.a[k])

    def test_stop_columns_alone(self):
        out = mix(self.a, self.b, part_alphas({'stop'}, 1.0, 5, 6))
        np.testing.assert_allclose(out['wte'][:, :EXACT_COLUMNS], self.b['wte'][:, :EXACT_COLUMNS], rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(out['wte'][:, EXACT_COLUMNS:], self.a['wte'][:, EXACT_COLUMNS:])

    def test_row_scale(self):
        scale = use_scale([100, 50, 10, 0], 50)
        np.testing.assert_allclose(scale, [0.0, 1.0, 1.0, 0.2, 0.0])
        out = mix(self.a, self.b, part_alphas({'table'}, 0.5, 5, 6, scale))
        for r, s in enumerate(scale):
            want = self.a['wte'][r, EXACT_COLUMNS:] + 0.5 * s * (self.b['wte'][r, EXACT_COLUMNS:] - self.a['wte'][r, EXACT_COLUMNS:])
            np.testing.assert_allclose(out['wte'][r, EXACT_COLUMNS:], want, rtol=1e-6, atol=1e-6)

    def test_mismatches_are_errors(self):
        b = dict(self.b)
        del b['wpe']
        with self.assertRaisesRegex(ValueError, 'different tensors'):
            mix(self.a, b, part_alphas(set(), 0.5, 5, 6))
        b = dict(self.b, wpe=np.zeros((3, 6), np.float32))
        with self.assertRaisesRegex(ValueError, 'wpe: shapes'):
            mix(self.a, b, part_alphas(set(), 0.5, 5, 6))
        with self.assertRaisesRegex(KeyError, 'not a bag-of-words tensor'):
            alpha_of(part_alphas(set(), 0.5, 5, 6), 'lm_head')


if __name__ == '__main__':
    unittest.main()
