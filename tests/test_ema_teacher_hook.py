"""EMATeacherHook: the update's closed form (fixed α and the DACS warm-up),
the buffers modes, no update on gradient-accumulation steps, the initial
copy at iteration 0 only, the teacher's mode after the loop's
``model.train()``, and the refusal of a trainable teacher."""
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper, OptimWrapperDict

from mmda.engine import EMATeacherHook
from mmda.models.utils import set_teacher_mode

pytestmark = pytest.mark.usefixtures('torch_one_thread')


def net(seed):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Dropout2d(0.5),
        nn.Conv2d(4, 2, 1))


class StudentTeacher(nn.Module):

    def __init__(self):
        super().__init__()
        self.student = net(0)
        self.teacher = net(1).requires_grad_(False)
        # distinct buffers on both sides
        with torch.no_grad():
            self.student[1].running_mean.uniform_(-1, 1)
            self.student[1].running_var.uniform_(1, 2)
            self.student[1].num_batches_tracked.fill_(7)


def runner_of(model, iteration=0, accumulate=1):
    wrapper = OptimWrapper(
        torch.optim.SGD(model.student.parameters(), lr=0.1),
        accumulative_counts=accumulate)
    wrapper.initialize_count_status(model, iteration, 100)
    return SimpleNamespace(
        model=model, iter=iteration, optim_wrapper=wrapper,
        message_hub=MessageHub.get_instance('test_ema_teacher_hook'))


def state(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def step(runner, hook):
    """One training iteration: a loss, the optimizer wrapper's update (a
    step only when the accumulation window closes), then the hook."""
    x = torch.randn(2, 3, 6, 6)
    runner.optim_wrapper.update_params(runner.model.student(x).pow(2).mean())
    hook.after_train_iter(runner, 0)
    runner.iter += 1


@pytest.mark.parametrize('warmup,iteration,alpha_t', [
    ('none', 0, 0.99),
    ('none', 41, 0.99),
    ('dacs', 0, 0.),  # min(1 - 1/1, 0.99): the teacher becomes the student
    ('dacs', 9, 0.9),  # min(1 - 1/10, 0.99)
    ('dacs', 499, 0.99),  # min(0.998, 0.99)
])
def test_update_equals_closed_form(warmup, iteration, alpha_t):
    model = StudentTeacher()
    hook = EMATeacherHook(alpha=0.99, warmup=warmup, buffers='copy')
    assert hook.alpha_at(iteration) == pytest.approx(alpha_t, abs=1e-15)
    runner = runner_of(model, iteration)
    teacher0 = state(model.teacher)
    step(runner, hook)
    student = state(model.student)
    for name, t in model.teacher.named_parameters():
        want = alpha_t * teacher0[name] + (1 - alpha_t) * student[name]
        torch.testing.assert_close(t, want, rtol=0, atol=1e-7)
        # not the student itself, unless alpha_t is 0
        assert torch.equal(t, student[name]) == (alpha_t == 0.)
    for name, b in model.teacher.named_buffers():  # copied
        assert torch.equal(b, student[name]), name
    logged = runner.message_hub.get_scalar('train/ema_alpha').current()
    assert logged == pytest.approx(alpha_t, abs=1e-15)


def test_buffers_ema_and_skip():
    for mode in ('ema', 'skip'):
        model = StudentTeacher()
        teacher0 = state(model.teacher)
        EMATeacherHook.update(model.teacher, model.student, 0.75, mode)
        student = state(model.student)
        bn = model.teacher[1]
        if mode == 'skip':
            for name in ('running_mean', 'running_var',
                         'num_batches_tracked'):
                assert torch.equal(
                    getattr(bn, name), teacher0[f'1.{name}']), name
        else:
            for name in ('running_mean', 'running_var'):
                want = (0.75 * teacher0[f'1.{name}'] +
                        0.25 * student[f'1.{name}'])
                torch.testing.assert_close(
                    getattr(bn, name), want, rtol=0, atol=1e-7)
            # integer buffers are copied
            assert int(bn.num_batches_tracked) == 7


def test_no_update_on_accumulation_steps():
    model = StudentTeacher()
    hook = EMATeacherHook(alpha=0.5)
    runner = runner_of(model, accumulate=2)
    teacher0 = state(model.teacher)
    weights0 = {k: v.detach().clone()
                for k, v in model.student.named_parameters()}
    step(runner, hook)  # iteration 0: gradients accumulate, no step
    assert all(torch.equal(v, teacher0[k])
               for k, v in state(model.teacher).items())
    assert all(torch.equal(v, weights0[k])
               for k, v in model.student.named_parameters())
    step(runner, hook)  # iteration 1: the optimizer steps, the EMA follows
    student = state(model.student)
    for name, t in model.teacher.named_parameters():
        torch.testing.assert_close(
            t, 0.5 * teacher0[name] + 0.5 * student[name], rtol=0,
            atol=1e-7)


def test_interval_counts_iterations():
    model = StudentTeacher()
    hook = EMATeacherHook(alpha=0.5, interval=2)
    runner = runner_of(model)
    teacher0 = state(model.teacher)
    step(runner, hook)  # iteration 0 (1st): no update
    assert all(torch.equal(v, teacher0[k])
               for k, v in state(model.teacher).items())
    step(runner, hook)  # iteration 1 (2nd): update
    assert not torch.equal(model.teacher[0].weight, teacher0['0.weight'])


def test_several_optimizers_update_when_any_stepped():
    model = StudentTeacher()
    runner = runner_of(model)
    runner.optim_wrapper = OptimWrapperDict(student=runner.optim_wrapper)
    x = torch.randn(1, 3, 6, 6)
    runner.optim_wrapper['student'].update_params(
        model.student(x).pow(2).mean())
    teacher0 = state(model.teacher)
    EMATeacherHook(alpha=0.5).after_train_iter(runner, 0)
    assert not torch.equal(model.teacher[0].weight, teacher0['0.weight'])


def test_initial_copy_only_at_iteration_zero():
    model = StudentTeacher()
    EMATeacherHook().before_train(runner_of(model, 0))
    assert all(
        torch.equal(v, model.student.state_dict()[k])
        for k, v in model.teacher.state_dict().items())
    # a resumed run (iteration 5) keeps the teacher of its checkpoint
    model = StudentTeacher()
    teacher0 = state(model.teacher)
    EMATeacherHook().before_train(runner_of(model, 5))
    assert all(torch.equal(v, teacher0[k])
               for k, v in model.teacher.state_dict().items())


@pytest.mark.parametrize('mode,bn_training,dropout_training', [
    ('eval', False, False),
    ('train', True, True),
    ('train_no_dropout', True, False),
])
def test_teacher_mode_after_model_train(mode, bn_training, dropout_training):
    model = StudentTeacher()
    hook = EMATeacherHook(teacher_mode=mode)
    runner = runner_of(model)
    hook.before_train(runner)
    for _ in range(2):  # what the train loop does every iteration
        model.train()
        hook.before_train_iter(runner, 0)
        assert model.teacher[1].training is bn_training
        assert model.teacher[2].training is dropout_training
        assert model.student[1].training and model.student[2].training


def test_set_teacher_mode_rejects_unknown_mode():
    with pytest.raises(ValueError, match='teacher mode'):
        set_teacher_mode(net(0), 'test')


def test_refuses_trainable_teacher_and_missing_child():
    model = StudentTeacher()
    model.teacher.requires_grad_(True)
    with pytest.raises(RuntimeError, match='frozen'):
        EMATeacherHook().before_train(runner_of(model))
    runner = runner_of(StudentTeacher())
    runner.model = nn.Module()
    runner.model.student = net(0)
    with pytest.raises(AttributeError, match="'teacher'"):
        EMATeacherHook().before_train(runner)


@pytest.mark.parametrize('kwargs,match', [
    (dict(alpha=1.0), 'alpha'),
    (dict(warmup='linear'), 'warmup'),
    (dict(buffers='average'), 'buffers'),
    (dict(teacher_mode='test'), 'teacher_mode'),
    (dict(interval=0), 'interval'),
])
def test_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        EMATeacherHook(**kwargs)
