# Two-domain data of AdvEnt / IntraDA (docs/methods.md#advent): batch 1
# source + 1 target, GTA5 at 1280x720, Cityscapes at 1024x512, no crop or
# flip;
# validation at 1024x512 scored against the full-resolution labels.
_base_ = './gta5_to_cityscapes.py'
target_scale = (1024, 512)  # (w, h)
# the base's target pipelines at this size (its datasets keep theirs)
target_pipeline, target_labelled_pipeline, test_pipeline = [[
    dict(t, scale=target_scale) if t.type == 'Resize' else t for t in pipeline
] for pipeline in (_base_.target_pipeline, _base_.target_labelled_pipeline,
                   _base_.test_pipeline)]
tta_pipeline = _base_.tta_pipeline
tta_pipeline[1].transforms[0][0].scale = target_scale
# the target train split as IntraDA's ranking reads it (no labels)
target_train_rank = dict(_base_.target_train, pipeline=target_pipeline)
train_dataloader = dict(
    batch_size=1, dataset=dict(target=dict(pipeline=target_pipeline)))
val_dataloader = dict(batch_size=1, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
entropy_rank_dataloader = dict(
    batch_size=1,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=target_train_rank)
