# PLCA (Kang et al., NeurIPS 2020; docs/methods.md#plca) on top of a
# DeepLab-v2 model base: the model is the deployable segmentor
# (mmda.models.PLCA, an EncoderDecoder), trained with source CE +
# Lovasz-softmax, cycle association on the layer-4 features (cosine) and on
# the softmax output (-KL), 0.1 each, with spatial aggregation of the target
# (alpha 0.5), and the thresholded LSR on both domains (tau 10, 0.01 each).
#
# lovasz_loss.loss_weight is a plain weight (no world-size factor). The
# official code's 0.75 is multiplied by GPUs x accumulation steps, 3.0 in
# its release (2 GPUs x ITER_SIZE 2): the real-data configs use 3.0.
# block_rows bounds the association's memory (block_rows x N, not N^2);
# association_reduction offers the official grid_subsample / downsample
# (off, as released). Test-time aggregation (official TEST.WITH_AGGREGATION)
# is on; the exported plain EncoderDecoder predicts without it.
#
# mmengine refuses one key in two bases, so the part that goes into the
# model base's `model` is named `plca_model`, and an experiment config
# takes it out of its bases (a part left there would show in its resolved
# config):
#
#   model = _base_.pop('plca_model')
__association = dict(
    type='CycleAssociationLoss', spagg_alpha=0.5, block_rows=1024,
    loss_weight=0.1)
plca_model = dict(
    type='PLCA',
    feature_association=dict(__association, metric='cos'),
    output_association=dict(__association, metric='kl'),
    lovasz_loss=dict(
        type='LovaszLoss',
        loss_type='multi_class',
        classes='present',
        per_image=False,
        reduction='none',
        loss_weight=0.75),
    lsr_loss=dict(type='ThresholdedLSRLoss', tau=10., loss_weight=0.01),
    association_reduction=dict(mode='none', scale=1.0),
    test_time_aggregation=dict(alpha=0.5, block_rows=1024))
