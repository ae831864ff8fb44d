"""benchmarks/train_throughput.py without training: what is counted per
iteration, and the per-image ratios of each round."""
import os.path as osp
import sys

from mmengine.config import Config

from conftest import REPO

sys.path.insert(0, osp.join(REPO, 'benchmarks'))
import train_throughput as bench  # noqa: E402


def test_images_per_iteration_of_every_row():
    counted = {
        r.name: bench.images_per_iteration(
            Config.fromfile(osp.join(REPO, r.config)))
        for r in bench.ROWS
    }
    # source-only: 2 source images; every method: 2 source + 2 target,
    # TGCF-DA's stage B also 2 generated (its third stream)
    assert counted == {
        r.name: 2 if r.baseline is None else 6 if r.name.startswith('TGCF')
        else 4
        for r in bench.ROWS
    }
    assert {r.baseline for r in bench.ROWS if r.baseline} == {
        bench.SOURCE_ONLY, bench.SOURCE_ONLY_SYNTHIA
    }
    assert [r.name for r in bench.ROWS
            if r.baseline == bench.SOURCE_ONLY_SYNTHIA] == ['GIO-Ada']


def test_ratios_are_per_image_and_per_round():
    rows = [bench.Row('base', 'b.py'), bench.Row('method', 'm.py', 'base')]
    images = {'base': 2, 'method': 4}
    # (a baseline other than source-only is named)
    # round 1: the method's iteration takes 2.4x the baseline's for twice
    # the images (1.2x per image); round 2 (a busier machine): 1.5x
    rounds = [{'base': 0.10, 'method': 0.24}, {'base': 0.20, 'method': 0.60}]
    summary = bench.summarise(rows, images, rounds)
    assert summary[0]['ratios'] == []
    assert [round(r, 6) for r in summary[1]['ratios']] == [1.2, 1.5]
    assert round(summary[1]['its'], 6) == round(1 / 0.42, 6)  # median
    table = bench.markdown(summary, 'header').splitlines()
    assert table[-2:] == [
        '| base | 2 | 6.67 | 13.3 | 1 (baseline) |  |',
        '| method | 4 | 2.38 | 9.5 | **1.35×** (1.20–1.50) vs base |  |'
    ]


def test_r101_rows_take_the_real_data_models():
    # every --model r101 row: the small config's data and hooks, the model
    # and optimizers of a real-data config with DeepLab-v2 ResNet-101
    names = [r.name for r in bench.R101_ROWS]
    assert names[0] == bench.SOURCE_ONLY_R101
    assert {r.baseline for r in bench.R101_ROWS[1:]} == {
        bench.SOURCE_ONLY_R101}
    for row in bench.R101_ROWS:
        options = bench.model_options(row.model_from)
        assert options['model']['_delete_'] is True
        assert options['optim_wrapper']['_delete_'] is True
        cfg = Config.fromfile(osp.join(REPO, row.config))
        cfg.merge_from_dict(options)
        segmentor = cfg.model.get('segmentor', cfg.model)
        assert segmentor.backbone.depth == 101
        assert segmentor.backbone.dilations == (1, 1, 2, 4)
        assert cfg.train_dataloader == Config.fromfile(
            osp.join(REPO, row.config)).train_dataloader
    advent = Config.fromfile(osp.join(REPO, bench.R101_ROWS[-1].config))
    advent.merge_from_dict(
        bench.model_options(bench.R101_ROWS[-1].model_from))
    # the full-width discriminators of the real-data config, not the small
    # config's quarter width
    assert {tuple(d.get('channels', (64, 128, 256, 512)))
            for d in advent.model.discriminator.discriminators.values()
            } == {(64, 128, 256, 512)}


def test_resized_batch_scales_images_and_labels_of_every_stream():
    import torch
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample

    def stream(labelled):
        image = torch.arange(2 * 3, dtype=torch.uint8).reshape(1, 2, 3)
        image = image.expand(3, 2, 3).clone()
        sample = SegDataSample(metainfo=dict(img_shape=(2, 3)))
        if labelled:
            sample.gt_sem_seg = PixelData(
                data=torch.tensor([[[0, 1, 2], [3, 4, 255]]]))
        return dict(inputs=[image], data_samples=[sample])

    batch = bench.resized_batch(
        dict(source=stream(True), target=stream(False)), 2)
    for name in ('source', 'target'):
        image = batch[name]['inputs'][0]
        assert image.dtype == torch.uint8 and image.shape == (3, 4, 6)
        assert batch[name]['data_samples'][0].img_shape == (4, 6)
    # nearest neighbour: every label repeated 2x2, no new values
    assert batch['source']['data_samples'][0].gt_sem_seg.data.tolist() == [[
        [0, 0, 1, 1, 2, 2], [0, 0, 1, 1, 2, 2],
        [3, 3, 4, 4, 255, 255], [3, 3, 4, 4, 255, 255]]]
    assert 'gt_sem_seg' not in batch['target']['data_samples'][0]
    # bilinear (half-pixel centres): the corners keep their values
    image = batch['source']['inputs'][0][0]
    assert (image[0, 0].item(), image[-1, -1].item()) == (0, 5)
