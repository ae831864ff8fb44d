"""tools/analysis_tools/ on mmda configs: confusion matrix, FLOPs and
parameters, inference throughput, dataset browsing (tiny benchmark)."""
import csv
import os.path as osp
import sys

import numpy as np
import pytest
import torch

from conftest import NO_WORKERS, REPO, logged_metric, run_tool_forked

sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))

SOURCE_ONLY = osp.join(
    REPO, 'configs', 'baselines',
    'source-only_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
MINENT = osp.join(REPO, 'configs', 'advent',
                  'minent_deeplabv2-small_sim2real-gta5-to-cityscapes.py')


@pytest.fixture(scope='module')
def random_checkpoint(tmp_path_factory):
    """Weights of the source-only model as built (a fixed seed)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(SOURCE_ONLY).model)
    path = tmp_path_factory.mktemp('analysis') / 'init.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


@pytest.mark.slow
def test_confusion_matrix_matches_the_test_run(sim2real_tiny, tmp_path,
                                               random_checkpoint,
                                               monkeypatch, capsys):
    preds = tmp_path / 'preds'
    proc = run_tool_forked([
        osp.join(REPO, 'tools', 'test.py'), SOURCE_ONLY, random_checkpoint,
        '--work-dir', tmp_path / 'w', '--out', preds, '--cfg-options'
    ] + NO_WORKERS, cwd=sim2real_tiny)
    want = logged_metric(proc.stdout + proc.stderr)
    monkeypatch.chdir(sim2real_tiny)
    import confusion_matrix as tool
    tool.main([SOURCE_ONLY, str(preds), str(tmp_path / 'cm'),
               '--cfg-options'] + NO_WORKERS)
    out = capsys.readouterr().out
    assert logged_metric(out) == pytest.approx(want, abs=0.01)
    with open(tmp_path / 'cm' / 'confusion_matrix.csv') as f:
        rows = list(csv.reader(f))
    assert len(rows) == 20 and rows[0][1:3] == ['road', 'sidewalk']
    counts = np.array([[int(v) for v in r[1:]] for r in rows[1:]])
    # every labelled pixel of the 4 val images counted once
    from PIL import Image
    import glob
    labels = [np.array(Image.open(p)) for p in glob.glob(str(
        sim2real_tiny / 'data/sim2real/cityscapes/gtFine/val/*/'
        '*_labelTrainIds.png'))]
    assert len(labels) == 4
    assert counts.sum() == sum(int((lab != 255).sum()) for lab in labels)
    assert counts.sum(1).tolist() == [
        sum(int((lab == c).sum()) for lab in labels) for c in range(19)]
    assert (tmp_path / 'cm' / 'confusion_matrix.png').stat().st_size > 1000


def test_flops_and_params_of_the_deployable_segmentor(capsys):
    from mmengine.analysis.print_helper import _format_size
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmseg.registry import MODELS
    import get_flops as tool
    tool.main([SOURCE_ONLY, '--shape', '128', '256'])
    out = capsys.readouterr().out
    init_default_scope('mmseg')
    model = MODELS.build(Config.fromfile(SOURCE_ONLY).model)
    params = sum(p.numel() for p in model.parameters())
    assert f'Params: {_format_size(params)}' in out
    assert 'Input shape: (128, 256)' in out
    flops = out.split('Flops: ')[1].split()[0]
    assert flops.endswith('G') and float(flops[:-1]) > 0


@pytest.mark.slow
def test_throughput(sim2real_tiny, random_checkpoint, monkeypatch, capsys):
    monkeypatch.chdir(sim2real_tiny)
    import benchmark as tool
    result = tool.main([
        SOURCE_ONLY, str(random_checkpoint), '--num-images', '3',
        '--warmup', '1', '--cfg-options', 'test_dataloader.batch_size=1'
    ] + NO_WORKERS)
    assert result['images'] == 3 and result['images_per_s'] > 0
    assert '3 images in ' in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.parametrize('stream, shape', [('source', (144, 256)),
                                           ('target', (128, 256))])
def test_browse_a_two_domain_dataset(sim2real_tiny, tmp_path, monkeypatch,
                                     stream, shape):
    import cv2
    monkeypatch.chdir(sim2real_tiny)
    import browse_dataset as tool
    written = tool.main([
        MINENT, '--output-dir', str(tmp_path), '--stream', stream, '--num',
        '2', '--cfg-options'] + NO_WORKERS)
    assert len(written) == 2
    for path in written:
        image = cv2.imread(path)
        assert image is not None and image.shape[:2] == shape, path


def test_image_statistics_of_two_folders(tmp_path, capsys):
    """Per-channel mean and std over all pixels and the mean absolute
    horizontal gradient, against the values worked out by hand; the first
    ``--num`` files in sorted order, found recursively."""
    import json

    from PIL import Image

    import image_statistics as tool
    ramp = np.array([[[0, 0, 0], [10, 20, 30], [20, 40, 60]]], np.uint8)
    flat = np.full((1, 3, 3), 100, np.uint8)
    (tmp_path / 'a' / 'city').mkdir(parents=True)
    Image.fromarray(ramp).save(tmp_path / 'a' / 'city' / '0.png')
    Image.fromarray(flat).save(tmp_path / 'a' / '1.png')
    Image.fromarray(ramp).save(tmp_path / 'a' / '2.png')  # beyond --num 2
    (tmp_path / 'b').mkdir()
    Image.fromarray(flat).save(tmp_path / 'b' / '0.png')
    out = tmp_path / 'stats' / 'stats.json'
    stats = tool.main([str(tmp_path / 'a'), str(tmp_path / 'b'), '--num',
                       '2', '--out', str(out)])
    # a: 6 pixels, R 0 10 20 100 100 100: mean 55, var 30500/6 - 55^2;
    # gradients 10 10 | 20 20 | 30 30 and six zeros over 12 cells
    assert stats[str(tmp_path / 'a')] == dict(
        images=2, mean=[55.0, 60.0, 65.0], std=[45.37, 41.63, 39.05],
        gradient=10.0)
    assert stats[str(tmp_path / 'b')] == dict(
        images=1, mean=[100.0, 100.0, 100.0], std=[0.0, 0.0, 0.0],
        gradient=0.0)
    assert json.loads(out.read_text()) == stats
    assert 'mean (RGB) 55.00 / 60.00 / 65.00, std 45.37 / 41.63 / 39.05, ' \
        'gradient 10.00' in capsys.readouterr().out
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError,
                       match=f'no \\*.png file under {tmp_path}/empty'):
        tool.main([str(tmp_path / 'empty')])
