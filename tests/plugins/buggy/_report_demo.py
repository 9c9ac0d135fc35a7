"""Several of the buggy plugins at once (not in EXPECTED.json): the report's charts have something to show.

Wrong: sigmoid_grad (sigma(z)(1 - z)), l2_loss_grad (flipped sign), linear_regression_fit and
mlp_train (cost recorded after the update), perceptron_train (batch update). Right: sigmoid,
relu, l2_loss, and the hooks the training tasks need.
"""

from l2_grad_flipped_sign import l2_loss, l2_loss_grad  # noqa: F401
from linear_fit_cost_after_update import linear_regression_fit  # noqa: F401
from mlp_train_cost_after_update import mlp_train  # noqa: F401
from perceptron_batch_update import perceptron_train  # noqa: F401
from relu_grad_at_zero import relu  # noqa: F401
from sigmoid_grad_of_z import sigmoid, sigmoid_grad  # noqa: F401
