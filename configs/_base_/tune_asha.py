# The Ray Tune search of the embedded benchmark's *_tune.py configs (README,
# "Hyper-parameter search"; read by tools/tune.py only): 8 random trials,
# 2 at once of 1 CPU each, maximising the validation mIoU with ASHA early
# stopping (grace period 1 validation, the best third goes on). A tune
# config adds this base to its experiment config and names the search
# space:
#
#   tune_cfg = dict(search_space={'model.<key>': 'loguniform(a, b)'})
tune_cfg = dict(
    metric='mIoU',
    mode='max',
    num_samples=8,
    max_concurrent=2,
    cpus_per_trial=1,
    scheduler='asha',
    grace_period=1,
    reduction_factor=3,
    search='random',
    seed=0)
