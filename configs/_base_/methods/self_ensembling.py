# Self-ensembling (mean teacher), the method's parts that do not depend on
# the segmentor: the EMA teacher hook and the consistency settings. An
# experiment config wraps its segmentor:
#   model = dict(_delete_=True, type='SelfEnsembling',
#                data_preprocessor=..., student=<segmentor>,
#                **self_ensembling)
# None of these values is published for TGCF-DA (Choi et al., ICCV 2019);
# they are the self-ensembling literature's, each marked with its source.
self_ensembling = dict(
    # delta_con = 3 (French et al. ICLR 2018,
    # Britefury/self-ensemble-visual-domain-adapt
    # experiment_domainadapt_meanteacher.py; SE-GAN, YonghaoXu/SE-GAN
    # SEGAN_GTA.py); conf_thresh None (French's 0.968 is an option)
    consistency_loss=dict(
        type='ConsistencyLoss', loss_weight=3.0, conf_thresh=None),
    # sigma of the Gaussian input noise on normalised images: design default
    noise_std=0.1,
    # French's code default: no ramp-up ('gauss' with rampup_iters: the
    # exp(-5(1 - t/T)^2) ramp of the same code)
    rampup='none',
    rampup_iters=0,
    supervised_streams=('source', 'source_aug'),
    target_stream='target',
    # the student is evaluated and exported ('teacher' for the EMA network)
    test_cfg=dict(predict_on='student'))
custom_hooks = [
    # alpha 0.99 (French et al.; DACS); no warm-up; buffers copied from the
    # student. The teacher in train mode during training, as French et
    # al.'s released code (experiment_domainadapt_meanteacher.py calls
    # train() on both networks): with trainable BN it normalises the target
    # batch with the target's own statistics, as the student does, and its
    # dropout is on. An eval-mode teacher normalises with the running
    # statistics, a mix of both domains, and its targets pull the student
    # away from what it predicts on target statistics: on the embedded
    # benchmark (trainable BN) SE fell below source-only with it
    # (docs/methods.md#self-ensembling). With frozen BN (norm_eval) only
    # dropout differs. The copied buffers keep every rank's teacher equal.
    dict(
        type='EMATeacherHook',
        alpha=0.99,
        warmup='none',
        interval=1,
        buffers='copy',
        teacher_mode='train')
]
# single optimizer: DDP's fixed train step (forward(mode='loss')); the
# frozen teacher takes no part in its gradient synchronisation
# (MMSeparateDistributedDataParallel leaves it unwrapped altogether)
model_wrapper_cfg = dict(type='MMDistributedDataParallel')
