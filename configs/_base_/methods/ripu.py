# RIPU (Xie et al., CVPR 2022; docs/methods.md): active domain adaptation by
# region impurity and prediction uncertainty. The method's parts, on any
# EncoderDecoder model base, a two-domain data base (with
# `target_active_pipeline` and `target_train_scoring`) and a schedule:
#
# * the model: RIPU's losses on the model base's segmentor, CE(src) +
#   CE(tgt labelled) + 0.1 L_cr(src, boundary regions) + 1.0 L_nl(tgt,
#   tau 0.05);
# * class-balanced source sampling in 3000-image sub-epochs;
# * the target train images with the labels picked so far (the active-label
#   ledger), scored for selection by ActiveSelectionHook in five rounds at
#   25-45 % of training (10k-18k of the original 40k), region-based
#   annotating (RA) of 2.2 % of the pixels in 3x3 regions.
#
# mmengine refuses one key in two bases, so the parts that go into the
# model and the data bases' keys are named `ripu_*` here and an experiment
# config takes them out of its bases (a part left there would show in its
# resolved config):
#
#   model = _base_.pop('ripu_model')
#   train_dataloader = dict(
#       sampler=_base_.pop('ripu_source_sampler'),
#       dataset=dict(target=dict(pipeline=_base_.target_active_pipeline)))
#   scoring_dataloader = dict(
#       batch_size=1, num_workers=4, dataset=_base_.target_train_scoring)
#   custom_hooks = [dict(_base_.custom_hooks[0],
#                        dataloader=scoring_dataloader)]
ripu_model = dict(
    type='RIPU',
    negative_loss=dict(type='NegativeLearningLoss', tau=0.05, loss_weight=1.0),
    consistency_loss=dict(
        type='LocalConsistencyLoss', region='boundary', loss_weight=0.1),
    target_loss_weight=1.0)
ripu_source_sampler = dict(
    source_sampling='class_balanced', subepoch_size=3000)
select_iters = [10000, 12000, 14000, 16000, 18000]
# (its `dataloader` is the experiment's `scoring_dataloader`)
custom_hooks = [
    dict(
        type='ActiveSelectionHook',
        select_iters=select_iters,
        mode='region',
        budget_ratio=0.022,
        radius=1,
        annotator=dict(type='SimulatedAnnotator')),
]
