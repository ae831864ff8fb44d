from collections import defaultdict
from typing import Dict, Optional

from mmengine.hooks import Hook

from mmseg.registry import HOOKS

from ...models.utils import AdversarialSchedule, publish_adversarial_schedule
from .model_contract import check_model_supports


@HOOKS.register_module()
class AdversarialDiscriminatorHook(Hook):
    """The discriminator side of adversarial training, for any adversarial
    segmentor (:class:`~mmda.models.AdvEnt`, and later methods reading
    :func:`~mmda.models.utils.current_adversarial_schedule`).

    Before every iteration it publishes the iteration's schedule:

    * **update schedule**: the discriminator steps every
      ``update_interval`` iterations (1 = every iteration, the original);
    * **warm-up**: for the first ``warmup_iters`` iterations the segmentor
      gets no adversarial loss (the discriminators already learn, so they
      are informative when it starts); the weight then ramps linearly from
      0 to 1 over ``ramp_iters`` iterations (0 = a step).

    The schedule is a function of the iteration only, so a resumed run
    continues it exactly.

    Contract: the model must read the schedule, i.e. declare
    ``reads_adversarial_schedule = True`` (:class:`~mmda.models.AdvEnt`
    does); ``before_train`` refuses any other model, naming it (a schedule
    nobody reads would change nothing).

    After every iteration it collects the discriminator accuracies the model
    logs (``disc.<level>.acc_src`` / ``acc_tgt``: the fraction of output
    cells on the right side of the decision boundary) and every
    ``log_interval`` iterations logs their window means, the number of
    discriminator updates and the adversarial weight. When every
    discriminator stays above ``saturation_acc`` on both domains for a whole
    window, they have won (their adversarial gradients carry almost no
    signal): that gets a warning, once.

    Args:
        update_interval (int): Iterations between discriminator updates.
        warmup_iters (int): Iterations without adversarial loss.
        ramp_iters (int): Iterations of the linear ramp after warm-up.
        log_interval (int): Iterations per accuracy log line.
        saturation_acc (float): Accuracy counted as saturated.
    """

    priority = 'NORMAL'

    def __init__(self,
                 update_interval: int = 1,
                 warmup_iters: int = 0,
                 ramp_iters: int = 0,
                 log_interval: int = 50,
                 saturation_acc: float = 0.99):
        for name, value, low in (('update_interval', update_interval, 1),
                                 ('warmup_iters', warmup_iters, 0),
                                 ('ramp_iters', ramp_iters, 0),
                                 ('log_interval', log_interval, 1)):
            if not isinstance(value, int) or value < low:
                raise ValueError(f'AdversarialDiscriminatorHook: {name} must '
                                 f'be an integer >= {low}, got {value!r}')
        self.update_interval = update_interval
        self.warmup_iters = warmup_iters
        self.ramp_iters = ramp_iters
        self.log_interval = log_interval
        self.saturation_acc = saturation_acc
        self._acc_sums: Dict[str, float] = defaultdict(float)
        self._iters = 0
        self._updates = 0
        self._warned = False

    def schedule(self, iteration: int) -> AdversarialSchedule:
        """The schedule of (0-based) ``iteration``."""
        if iteration < self.warmup_iters:
            weight = 0.
        elif self.ramp_iters == 0:
            weight = 1.
        else:
            weight = min(1., (iteration - self.warmup_iters + 1) /
                         self.ramp_iters)
        return AdversarialSchedule(
            update_discriminator=iteration % self.update_interval == 0,
            adversarial_weight=weight)

    def before_train(self, runner) -> None:
        """Check that the model reads the schedule."""
        check_model_supports(self, runner.model,
                             'reads_adversarial_schedule',
                             'reads the adversarial schedule in its '
                             'train_step')

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        publish_adversarial_schedule(self.schedule(runner.iter), runner.iter)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        accs = {
            k: float(v)
            for k, v in (outputs or {}).items()
            if k.startswith('disc.') and '.acc_' in k
        }
        self._iters += 1
        if accs:
            self._updates += 1
            for k, v in accs.items():
                self._acc_sums[k] += v
        if self.every_n_train_iters(runner, self.log_interval):
            self._log_window(runner)

    def _log_window(self, runner) -> None:
        means = {k: s / self._updates for k, s in self._acc_sums.items()}
        weight = self.schedule(runner.iter).adversarial_weight
        parts = ', '.join(f'{k[len("disc."):]} {v:.3f}'
                          for k, v in sorted(means.items()))
        runner.logger.info(
            f'[discriminator] iter {runner.iter + 1}: {self._updates}/'
            f'{self._iters} updates, accuracy {parts or "n/a"}, adversarial '
            f'weight {weight:g}')
        # the window's means to every visualisation backend, as scalars
        scalars = {f'disc/{k[len("disc."):]}': v for k, v in means.items()}
        scalars['disc/adversarial_weight'] = weight
        scalars['disc/update_share'] = self._updates / max(self._iters, 1)
        runner.visualizer.add_scalars(scalars, step=runner.iter + 1)
        if (means and not self._warned
                and min(means.values()) > self.saturation_acc):
            self._warned = True
            runner.logger.warning(
                '[discriminator] accuracy above '
                f'{self.saturation_acc} on both domains for the last '
                f'{self._iters} iterations: the discriminators have won and '
                'the adversarial gradients carry little signal (consider a '
                'lower discriminator lr or a larger adversarial weight)')
        self._acc_sums.clear()
        self._iters = 0
        self._updates = 0
