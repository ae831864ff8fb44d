# MinEnt (Vu et al., AdvEnt, CVPR 2019; docs/methods.md): direct entropy
# minimisation on both levels of a multi-level model base (a
# MultiLevelEncoderDecoder: `decode_head` the main classifier, exactly one
# `auxiliary_head`): source CE main + aux (the heads' loss weights), target
# mean normalised entropy 0.001 (main) / 0.0002 (aux); one optimizer, no
# extra hooks. An experiment config takes the model part out of its bases
# (mmengine refuses `model` in two bases; a part left there would show in
# the resolved config):
#
#   model = _base_.pop('minent_model')
minent_model = dict(
    type='MinEnt',
    entropy_losses=dict(
        main=dict(type='EntropyLoss', loss_weight=0.001),
        aux=dict(type='EntropyLoss', loss_weight=0.0002)))
