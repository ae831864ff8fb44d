# RIPU's active labels (region-based annotating, 2.2 %) plus MinEnt's
# target entropy, on the embedded sim2real benchmark: a combination of two
# methods' terms written as a config, not a new class. The model is RIPU
# (CE(src) + CE(tgt labelled) + 0.1 L_cr(src) + 1.0 L_nl(tgt)) with the
# registered EntropyLoss added as a target term on the main head's scores
# at the input size (logged as tgt.loss_ent), at the weight the sim2real
# MinEnt config uses (0.01, 10x the original's 0.001).
_base_ = ['./ripu_ra-2.2_deeplabv2-small_sim2real-gta5-to-cityscapes.py']
model = dict(
    target_losses=dict(
        entropy=dict(type='EntropyLoss', loss_weight=0.01)))
