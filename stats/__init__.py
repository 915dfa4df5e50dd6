"""The statistics, in plain numpy: no Flask, no database.

``allocation`` spreads a wave's invitations over strata and draws the members;
``weighting`` rakes and post-stratifies respondents to the population; ``calibration`` is
the one projection of the influence values that every weighting's standard errors use (per
respondent in the library, per weighting cell on the results pages); ``estimation`` gives
means, shares and their standard errors as R's ``survey`` package does; ``cells`` does the
same from sums per weighting cell; ``suppression`` decides which groups may be shown.
``columns`` turns columns of values into integer codes, and ``sums`` adds values up per code.
"""
