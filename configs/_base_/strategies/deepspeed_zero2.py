# DeepSpeed ZeRO stage 2 (optimizer states and gradients partitioned over
# the ranks) for the single-optimizer methods (source-only, RIPU). Add this
# file to a method config's _base_; tools/train.py and tools/dist_train.sh
# then train with mmengine's FlexibleRunner and mmda's DeepSpeed strategy
# (mmda/engine/strategies/deepspeed_strategy.py). The config's
# optim_wrapper is converted (clip_grad -> gradient_clipping, --amp -> bf16
# or fp16); methods with several optimizers are refused. fp32 and bf16 run
# on CPU too; fp16 needs a GPU.
runner_type = 'FlexibleRunner'
strategy = dict(
    type='MMDADeepSpeedStrategy',
    zero_optimization=dict(
        stage=2,
        contiguous_gradients=True,
        overlap_comm=False,
        reduce_scatter=True),
    # the recipes' SGD is not on DeepSpeed's list of tested ZeRO optimizers
    config=dict(zero_allow_untested_optimizer=True))
