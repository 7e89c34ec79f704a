<?php echo "hi ".$_GET["x"]; ?>
