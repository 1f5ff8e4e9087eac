"""Export build/lm.pt to public/models/sgpt-nano-lm: causal-LM ONNX with num_logits_to_keep (int8
weights, model/quantize.py), config.json, tokenizer files; plus build/check.json (torch fp32 SGPT-CE
scores of held-out Python-docs sections, by model/reference_rerank.py's recipe) for check.ts.

    /usr/bin/python3 model/nano_lm/export.py
"""
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import lm  # noqa: E402  (puts model/ and model/nano/ on sys.path)
from gpt2 import GPT2, HParams, export_onnx, write_config  # noqa: E402
from quantize import quantize_model  # noqa: E402
from reference_rerank import PROMPTS, model_input, score  # noqa: E402
from tokenizer_files import write_tokenizer_files  # noqa: E402

OUT = os.path.join(ROOT, 'public', 'models', 'sgpt-nano-lm')
FP32 = os.path.join(lm.BUILD, 'fp32')  # the same model unquantised, a loadable folder for check.ts


def full_model(model, rows, stats):
    """Scatter the compact table into GPT-2's 50257 rows. Ids never in the training text get the
    mean row of the rarest trained tokens (seen once or twice): the head learned to give those low
    logits, so an unseen token is improbable rather than a random guess.
    Positions are cut to the SEQ the windows trained: later ones never got a gradient, and the
    reranker fills the model's whole window, which would put the query exactly there."""
    full = GPT2(HParams(**{**lm.HP, 'n_positions': lm.SEQ}))
    sd = {k: v for k, v in model.state_dict().items() if k != 'wte.weight'}
    sd['wpe.weight'] = sd['wpe.weight'][:lm.SEQ]
    table = model.wte.weight.detach()
    counts = stats['tokens'][rows]
    rare = table[torch.from_numpy((counts > 0) & (counts <= 2))].mean(0)
    wte = rare.repeat(50257, 1)
    wte[torch.from_numpy(rows)] = table
    sd['wte.weight'] = wte
    full.load_state_dict(sd)
    return full.eval()


def check_cases(n=10, chars=700):
    """n held-out Python-docs sections: query = heading path, documents = the n sections."""
    secs = [r for r in lm.data.pydocs() if lm.data.held_out('p' + r['_id']) and len(r['text']) > 200][:n]
    docs = [r['text'][:chars] for r in secs]
    return [{'query': r['heading_path'].replace(' > ', ', '), 'documents': docs, 'relevant': i}
            for i, r in enumerate(secs)]


def export(model, rows, state):
    stats = lm.ppmi.load_stats()
    full = full_model(model, rows, stats)
    fp32 = os.path.join(FP32, 'onnx', 'model.onnx')
    export_onnx(full, fp32, kind='lm', with_logits_to_keep=True)
    os.makedirs(os.path.join(OUT, 'onnx'), exist_ok=True)
    done = quantize_model(fp32, os.path.join(OUT, 'onnx', 'model.onnx'))
    for d in (FP32, OUT):
        write_config(d, full.hp, None, kind='lm')
        write_tokenizer_files(d, full.hp.n_positions)
    enc = lm.data.bpe()
    cases = check_cases()
    with torch.no_grad():
        for c in cases:
            c['torch'] = [score(full, *model_input(enc, PROMPTS['asymmetric'], d, c['query'], full.hp.n_positions))
                          for d in c['documents']]
    report = {'quantized': done, 'onnx_bytes': os.path.getsize(os.path.join(OUT, 'onnx', 'model.onnx')),
              'fp32_bytes': os.path.getsize(fp32), 'state': {k: v for k, v in state.items() if k != 'log'},
              'log': state.get('log', [])}
    with open(os.path.join(lm.BUILD, 'check.json'), 'w') as f:
        json.dump({'fp32': FP32, 'int8': OUT, 'cases': cases}, f)
    with open(os.path.join(lm.BUILD, 'report.json'), 'w') as f:
        json.dump(report, f, indent=1)
    print(json.dumps({k: v for k, v in report.items() if k != 'log'}, indent=1))
    return report


if __name__ == '__main__':
    torch.set_num_threads(2)
    ck = torch.load(lm.CKPT, map_location='cpu')
    model = GPT2(HParams(vocab_size=len(ck['rows']), **ck['hp']))
    model.load_state_dict(ck['model'])
    export(model, ck['rows'], ck['state'])
