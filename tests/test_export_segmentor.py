"""tools/export_segmentor.py says what its output needs to load, and the
exported model loads in a fresh process with plain mmseg, importing mmda
only where the export says so."""
import json
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from conftest import REPO, run_tool_forked

SMALL_V2 = osp.join(
    REPO, 'configs', 'baselines',
    'source-only_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
RIPU_V3PLUS = osp.join(REPO, 'configs', 'ripu',
                       'ripu_ra-5_deeplabv3plus-r101_gta5-to-cityscapes.py')

#: loads the export in a fresh process with mmseg's own API and reports
#: whether mmda was imported
LOAD = '''
import json, sys
import numpy as np
from mmseg.apis import inference_model, init_model
out = sys.argv[1]
model = init_model(out + '/inference_config.py', out + '/segmentor.pth',
                   device='cpu')
result = inference_model(model, np.zeros((64, 128, 3), np.uint8))
print(json.dumps(dict(mmda='mmda' in sys.modules,
                      shape=list(result.pred_sem_seg.shape))))
'''


def _method_checkpoint(config, path):
    """A checkpoint of the method's model as the config builds it."""
    from mmengine.registry import init_default_scope

    import mmda  # noqa: F401
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    model = MODELS.build(Config.fromfile(config).model)
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)


def _load_fresh(out_dir):
    proc = subprocess.run([sys.executable, '-c', LOAD, str(out_dir)],
                          capture_output=True, text=True, timeout=300)
    return proc


@pytest.mark.slow
@pytest.mark.parametrize('config, needs', [
    (SMALL_V2, ['DeepLabV2Head']),
    (RIPU_V3PLUS, []),
])
def test_exported_model_loads_as_the_export_says(config, needs, tmp_path):
    ckpt = tmp_path / 'method.pth'
    _method_checkpoint(config, ckpt)
    out = tmp_path / 'export'
    proc = run_tool_forked(
        [osp.join(REPO, 'tools', 'export_segmentor.py'), config, ckpt, out])
    info = json.loads((out / 'export_info.json').read_text())
    assert info['model_needs_mmda'] == needs
    assert info['loads_with'] == ('mmda' if needs else 'mmseg alone')
    # the evaluation config reads the data with mmda's classes
    assert 'CityscapesDADataset' in info['segmentor_config_needs_mmda']
    assert 'DAIoUMetric' in info['segmentor_config_needs_mmda']
    assert info['inference_config_needs_mmda'] == needs
    text = proc.stdout
    infer = Config.fromfile(str(out / 'inference_config.py'),
                            import_custom_modules=False)
    assert [t['type'] for t in infer.test_pipeline][0] == 'LoadImageFromFile'
    if needs:
        assert 'the model needs mmda to load: DeepLabV2Head' in text
        assert infer.custom_imports.imports == ['mmda']
    else:
        assert 'the model loads with mmseg alone' in text
        assert 'custom_imports' not in infer
        # RIPU's frozen identity norms as mmseg's BN, its flip averaging
        # dropped (no EncoderDecoder option), and both said
        assert infer.model.decode_head.norm_cfg == dict(
            type='BN', eps=0., requires_grad=False)
        assert 'flip' not in infer.model.test_cfg
        assert info['dropped_test_flip'] is True
        assert 'horizontal-flip averaging (test_cfg.flip)' in text
    loaded = _load_fresh(out)
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    got = json.loads(loaded.stdout.strip().splitlines()[-1])
    assert got == dict(mmda=bool(needs), shape=[64, 128])
    if needs:
        # and it is really needed: without mmda the head is unknown
        infer.pop('custom_imports')
        infer.dump(str(out / 'inference_config.py'))
        failed = _load_fresh(out)
        assert failed.returncode != 0
        assert 'DeepLabV2Head is not in the mmseg::model registry' in \
            failed.stderr
