"""PLCA under DDP (2 processes, gloo): the gradients each rank steps with
equal those of one process on the same global batch, up to the Lovász
term, which mmseg's LovaszLoss computes over each rank's images (the
documented per-rank Lovász; docs/methods.md#plca). The association's mean
runs over the positives of the global batch (the count is summed over the
ranks); CE and LSR are means over equally many pixels per rank. BN uses
its running statistics here (``norm_eval``): batch statistics are per
rank under BN (SyncBN on GPUs makes them global). In float64, with a
classifier far from uniform: the top-1 associations of near-uniform
probabilities would flip on rounding differences between a batch of one
and of two images (the Lovász term is computed in float32)."""
import os.path as osp

import pytest
import torch
import torch.nn.functional as F

from conftest import REPO, run_tool

CONFIG = osp.join(REPO, 'configs', 'plca',
                  'plca_deeplabv2-small_sim2real-gta5-to-cityscapes.py')


def build_plca(config, lovasz_weight, state_dict=None):
    """The PLCA model of ``config`` with BN on running statistics and the
    given Lovász weight (0: off)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    cfg = Config.fromfile(config).model
    cfg.backbone.norm_eval = True
    cfg.lovasz_loss = None if lovasz_weight == 0 else dict(
        cfg.lovasz_loss, loss_weight=lovasz_weight)
    torch.manual_seed(0)
    model = MODELS.build(cfg).double()
    if state_dict is None:
        for branch in model.decode_head.aspp_branches:
            branch.weight.data.normal_(0, 0.3)
    else:
        model.load_state_dict(state_dict)
    model.train()
    return model


def plca_batch(saved, index):
    """``(inputs, data_samples)`` of images ``index`` of the saved batch."""
    from mmengine.structures import PixelData

    from mmseg.structures import SegDataSample
    src, tgt = saved['source'][index], saved['target'][index]
    src_samples = []
    for y in saved['labels'][index]:
        s = SegDataSample(gt_sem_seg=PixelData(data=y))
        s.set_metainfo(dict(img_shape=tuple(src.shape[2:])))
        src_samples.append(s)
    tgt_samples = [SegDataSample() for _ in range(tgt.shape[0])]
    return (dict(source=src, target=tgt),
            dict(source=src_samples, target=tgt_samples))


def gradients(model, loss):
    loss.backward()
    return {k: p.grad.detach().clone() for k, p in model.named_parameters()}


@pytest.mark.slow
def test_ddp_gradients_equal_one_process_on_the_global_batch(tmp_path):
    g = torch.Generator().manual_seed(0)
    # class blobs, no ignored pixel: equal CE normalisers on both ranks
    coarse = torch.randint(0, 3, (2, 1, 4, 6), generator=g).float()
    saved = dict(
        source=torch.randn(2, 3, 64, 96, generator=g).double(),
        target=torch.randn(2, 3, 64, 64, generator=g).double(),
        labels=F.interpolate(coarse, size=(64, 96)).long())
    model = build_plca(CONFIG, 0.)
    saved['state_dict'] = model.state_dict()
    torch.save(saved, tmp_path / 'inputs.pt')
    run_tool([
        '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node',
        '2', osp.join(REPO, 'tests', 'ddp_plca_worker.py'), CONFIG,
        '--inputs', tmp_path / 'inputs.pt', '--out', tmp_path / 'out',
        '--lovasz-weights', '0', '0.75'
    ], cwd=osp.join(REPO, 'tests'))
    ranks = [
        torch.load(tmp_path / 'out' / f'rank{r}.pt')['grads'] for r in (0, 1)
    ]
    for weight in (0., 0.75):  # DDP: both ranks step with the same grads
        for k, v in ranks[0][weight].items():
            assert torch.equal(v, ranks[1][weight][k]), (weight, k)

    torch.set_num_threads(1)
    whole = plca_batch(saved, slice(0, 2))
    # without Lovász: the one-process gradient of the global batch
    model = build_plca(CONFIG, 0., saved['state_dict'])
    losses = model.loss(*whole)
    assert losses['feat.pos_ratio'] > 0 and losses['out.pos_ratio'] > 0
    want = gradients(model, model.parse_losses(losses)[0])
    got = ranks[0][0.]
    assert set(got) == set(want)
    for k in want:
        torch.testing.assert_close(got[k], want[k], rtol=1e-7, atol=1e-12,
                                   msg=k)
    assert any(v.abs().sum() > 0 for v in want.values())

    # with Lovász: the global batch's other terms plus the mean of each
    # rank's own Lovász
    model = build_plca(CONFIG, 0., saved['state_dict'])
    lovasz = build_plca(CONFIG, 0.75).lovasz_loss
    loss = model.parse_losses(model.loss(*whole))[0]
    for r in (0, 1):
        inputs, samples = plca_batch(saved, slice(r, r + 1))
        logits = model.decode_head(model.extract_feat(inputs['source']))
        up = F.interpolate(logits, size=(64, 96), mode='bilinear',
                           align_corners=False).float()
        loss = loss + 0.5 * lovasz(up, saved['labels'][r:r + 1, 0],
                                   ignore_index=255)
    want = gradients(model, loss)
    got = ranks[0][0.75]
    for k in want:
        torch.testing.assert_close(got[k], want[k], rtol=1e-6, atol=1e-9,
                                   msg=k)
    # ... which is not the global batch's Lovász (the test would see it)
    model = build_plca(CONFIG, 0.75, saved['state_dict'])
    global_lovasz = gradients(model,
                              model.parse_losses(model.loss(*whole))[0])
    assert any(not torch.allclose(got[k], global_lovasz[k], rtol=1e-4,
                                  atol=1e-7) for k in got)
