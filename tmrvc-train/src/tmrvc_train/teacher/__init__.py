"""Non-causal flow-matching teacher: U-Net, rectified-flow objective, Euler sampler with CFG, trainer."""

from tmrvc_train.teacher.flow import Condition, MelNorm, euler_sample, flow_loss, load_teacher, save_teacher
from tmrvc_train.teacher.unet import TeacherConfig, TeacherUNet

__all__ = ["Condition", "MelNorm", "TeacherConfig", "TeacherUNet", "euler_sample", "flow_loss", "load_teacher",
           "save_teacher"]
