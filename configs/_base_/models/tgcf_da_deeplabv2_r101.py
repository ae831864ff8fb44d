# TGCF-DA stage A (../methods/tgcf_da.py) with ./deeplabv2_r101.py as the
# frozen semantic-constraint segmentor; an experiment config names its
# weights (model.segmentor_checkpoint: a source-only run).
_base_ = ['./deeplabv2_r101.py', '../methods/tgcf_da.py']
model = _base_.tgcf_model
model._delete_ = True
model.segmentor = _base_.model
