"""Per-term gradients of a summed loss (mmda.models.utils.loss_gradients)
and the GIO-Ada loss-balance tool built on them."""
import json
import os.path as osp
import sys

import pytest
import torch
from conftest import REPO, run_script_main
from torch import nn

from mmda.models.utils import gradient_cosine, loss_gradients

sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))
import gio_ada_loss_balance as balance  # noqa: E402
from test_gio_ada import batch, build  # noqa: E402


def test_each_term_gets_its_own_gradient_per_group():
    a = nn.Parameter(torch.tensor([1., 2.]))
    b = nn.Parameter(torch.tensor([3.]))
    x = torch.tensor([5., 7.])
    terms = {'dot': (a * x).sum(), 'square': (b**2).sum() + 0 * a.sum(),
             'both': (a * b).sum()}
    grads = loss_gradients(terms, {'A': [a], 'B': [b]})
    assert grads['dot']['A'].tolist() == [5., 7.]
    assert grads['dot']['B'].tolist() == [0.]  # not reached
    assert grads['square']['A'].tolist() == [0., 0.]
    assert grads['square']['B'].tolist() == [6.]
    assert grads['both']['A'].tolist() == [3., 3.]
    assert grads['both']['B'].tolist() == [3.]
    assert a.grad is None and b.grad is None  # .grad untouched


def test_cosine_and_errors():
    assert gradient_cosine(torch.tensor([1., 0.]),
                           torch.tensor([-2., 0.])) == -1.
    assert gradient_cosine(torch.tensor([1., 1.]),
                           torch.tensor([1., 0.])) == pytest.approx(
                               2**-0.5)
    assert gradient_cosine(torch.zeros(2), torch.tensor([1., 0.])) == 0.
    p = nn.Parameter(torch.ones(2))
    with pytest.raises(ValueError, match="'vec' is not a scalar"):
        loss_gradients({'vec': p * 2}, {'P': [p]})
    frozen = nn.Parameter(torch.ones(1), requires_grad=False)
    with pytest.raises(ValueError, match="group 'F' has no parameters"):
        loss_gradients({'s': p.sum()}, {'F': [frozen]})


def test_gio_ada_balance_tool_reports_every_term(sim2real_tiny, tmp_path,
                                                 monkeypatch):
    """On the tiny embedded benchmark at initialisation: every
    generator-step term with its gradient norm on each network; the depth
    term reaches T's encoder, the depth head and G but not the
    segmentation head; CE reaches everything but the depth head; D_in's
    term reaches G only."""
    out = tmp_path / 'balance.json'
    config = osp.join(REPO, 'configs', 'gio_ada', 'gio-ada_deeplabv2-small_'
                      'sim2real-synthia-to-cityscapes.py')
    monkeypatch.chdir(sim2real_tiny)
    torch.set_num_threads(1)
    run_script_main('analysis_tools/gio_ada_loss_balance.py', [
        config, '--batches', '1', '--out', out, '--cfg-options',
        'train_dataloader.batch_size=1'])
    result = json.loads(out.read_text())
    norms = result['grad_norm']
    assert sorted(norms) == ['adv.input.loss_adv', 'adv.output.loss_adv',
                             'src.decode.loss_ce', 'src.loss_depth']
    depth, ce = norms['src.loss_depth'], norms['src.decode.loss_ce']
    assert depth['T seg head'] == 0 and depth['T encoder'] > 0
    assert depth['depth head'] > 0 and depth['G'] > 0
    assert ce['depth head'] == 0 and ce['T encoder'] > 0 and ce['G'] > 0
    assert norms['adv.input.loss_adv']['T encoder'] == 0  # D_in sees G only
    assert -1 <= result['cosine_ce_depth']['T encoder'] <= 1


def test_balance_equals_separate_backward_passes():
    """The tool's per-term norms and CE-depth cosine equal those of one
    ``backward()`` per term on the same batch."""
    model = build()
    model.train()
    got = balance.batch_balance(model, batch())

    def encoder_grad(term):
        data = model.data_preprocessor(batch(), True)
        src, samples = data['inputs']['source'], data['data_samples']
        translated, logits, pred_depth, depth, valid = \
            model.translate_source(src, samples['source'])
        fake = dict(input=translated,
                    output=model.joint_output(logits, pred_depth))
        losses = model.generator_step_losses(
            logits, pred_depth, fake, samples['source'], depth, valid, 1.)
        model.zero_grad()
        losses[term].backward()
        return torch.cat([p.grad.reshape(-1) for p in
                          model.segmentor.backbone.parameters()])

    ce, depth = encoder_grad(balance.CE), encoder_grad(balance.DEPTH)
    norms = got['grad_norm']
    assert norms[balance.CE]['T encoder'] == pytest.approx(
        float(ce.norm()), rel=1e-5)
    assert norms[balance.DEPTH]['T encoder'] == pytest.approx(
        float(depth.norm()), rel=1e-5)
    assert got['cosine_ce_depth']['T encoder'] == pytest.approx(
        float(torch.dot(ce, depth) / (ce.norm() * depth.norm())), abs=1e-5)
